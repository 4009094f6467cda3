"""What a person (or a deposit, or a schedule) asks of a portfolio, and what is remembered of it.

A **run request** asks the daemon for one run of a given type: ``full``, ``invest_cash`` (with
an optional amount), ``withdraw`` (an amount, optionally at one venue, optionally ``partial``)
or ``liquidate``. It is stored as a run in state ``NEW`` plus a request row; the daemon takes
it, plans it and carries it out under the usual approval, breaker and pre-trade rules. Its id
is the run's id.

A **pause** stops a portfolio from trading while it is still watched and reported.

**Standing orders** are requests the daemon makes by itself: an ``invest_cash`` run for a
deposit (``ContributionRule``) and recurring runs by calendar (``ScheduledRun``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import CalendarEvery, CalendarRule


@dataclass(frozen=True, slots=True)
class RunRequest:
    """One run asked of ``portfolio``.

    ``amount`` is in the portfolio's quote asset: the cash to raise for ``withdraw`` (required),
    the cash to spend for ``invest_cash`` (None: the cash above its target). ``venue`` is where
    a withdraw's cash must be raised (None: any venue). ``partial`` lets a withdraw above what
    the holdings can raise go ahead and raise the most it can instead of being refused.
    """

    portfolio: str
    run_type: RunType
    amount: Decimal | None = None
    venue: str | None = None
    partial: bool = False


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """A stored run request: what was asked, by whom, and how far the daemon got with it.

    ``run_id`` is the request's id (the run it became). ``key`` makes a request the daemon
    makes by itself unique (a deposit's id, a schedule's date), so it is never made twice.
    ``taken_at`` is when the daemon took it (None: waiting); ``cancelled_at`` when a person
    cancelled it before that.
    """

    run_id: str
    request: RunRequest
    requested_by: str
    created_at: datetime
    key: str | None = None
    taken_at: datetime | None = None
    cancelled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PauseRecord:
    """Whether ``portfolio`` is paused (watched and reported, never traded), since when, why."""

    portfolio: str
    paused: bool
    by: str
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ContributionRule:
    """``[portfolios.P.contributions]``: invest a deposit of quote cash once it is this large.

    A rise of the portfolio's quote balance that no run of ours explains is looked up in the
    venues' deposit history; deposits not yet invested, together worth at least ``min_amount``,
    start an ``invest_cash`` run for their sum.
    """

    min_amount: Decimal


@dataclass(frozen=True, slots=True)
class ScheduledRun:
    """One ``[[portfolios.P.schedule]]`` entry: a run of ``run_type`` on every ``rule`` date.

    ``amount`` as in ``RunRequest``; ``venue`` where a withdraw raises its cash.
    """

    run_type: RunType
    rule: CalendarRule
    amount: Decimal | None = None
    venue: str | None = None

    @property
    def key(self) -> str:
        """What identifies the entry whatever its position in the file."""
        amount = "" if self.amount is None else f"{self.amount.normalize():f}"
        quarterly = self.rule.every is CalendarEvery.QUARTERLY
        months = ",".join(str(m) for m in self.rule.months) if quarterly else ""
        return (
            f"{self.run_type.value}:{amount}:{self.venue or ''}:"
            f"{self.rule.every.value}:{self.rule.day}:{months}"
        )


@dataclass(frozen=True, slots=True)
class Inflow:
    """A deposit from outside (not one of our transfers) that a run is started to invest."""

    venue: str
    deposit_id: str
    asset: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class StandingOrders:
    """The runs a portfolio's config asks the daemon to request by itself."""

    contributions: ContributionRule | None = None
    schedule: tuple[ScheduledRun, ...] = ()

    @property
    def any(self) -> bool:
        """True when there is something to watch for."""
        return self.contributions is not None or bool(self.schedule)
