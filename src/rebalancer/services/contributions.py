"""New cash from outside is invested: a deposit of quote cash starts an ``invest_cash`` run.

This is a broker's "invest cash inflows automatically" (``[portfolios.P.contributions]``). A
rise of the portfolio's cash is only a hint; what is invested is what the venues' deposit
history proves came from outside. How a deposit is told apart from our own money moving:

- **The hint**: the portfolio's quote cash (on its venues, plus in transit to them) rose by at
  least ``min_amount`` above its lowest point since the history was last read, with no run of
  the portfolio in between and none of our transfers in flight (so small deposits add up).
  Fills happen only inside runs; a transfer of ours between the portfolio's venues leaves the
  total unchanged (the amount in transit counts) except for the moment its arrival is credited
  before its record says so, which is why a check made while one is in flight compares
  nothing.
- **The proof**: only deposits in the venues' history count: of the quote asset, credited,
  made since contributions were first watched for this portfolio, not one of our own transfers
  arriving (their deposit ids are on our transfer records) and not invested before (each
  deposit id is stored with the run that invests it, so a deposit is invested once, across
  restarts). A failed withdrawal's refund, a cancelled order's unlocked funds, interest, an
  airdrop or a trade someone made by hand raise the balance but are no deposits: they are
  logged once and left as cash.
- **No gaps**: after a run, after a transfer in flight, and at start-up the history is read
  on the next check whatever the balance did, so a deposit that landed during a run (hidden
  by the run's own trades) or while the daemon was down is still found.

Deposits that are together below ``min_amount`` wait until more arrive.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from rebalancer.domain.errors import VenueError
from rebalancer.domain.money import ZERO, format_decimal
from rebalancer.domain.policy import Policy
from rebalancer.domain.requests import ContributionRule, Inflow
from rebalancer.domain.snapshot import Snapshot
from rebalancer.domain.transfers import TransferReport, TransferStatus
from rebalancer.ports import Clock, Store, VenueGateway
from rebalancer.services.operations import cash_held

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NewCash:
    """Deposits to invest now, and the cash the portfolio holds (what can be spent)."""

    inflows: tuple[Inflow, ...]
    cash: Decimal

    @property
    def total(self) -> Decimal:
        """What the deposits brought."""
        return sum((inflow.amount for inflow in self.inflows), ZERO)

    @property
    def to_invest(self) -> Decimal:
        """The deposits' sum, or the cash held when some of it is gone already."""
        return min(self.total, self.cash)


class DepositWatch:
    """Finds deposits of one portfolio's quote cash that no run of ours explains."""

    def __init__(
        self,
        policy: Policy,
        rule: ContributionRule,
        store: Store,
        clock: Clock,
        gateways: Mapping[str, VenueGateway],
    ) -> None:
        self._policy = policy
        self._rule = rule
        self._store = store
        self._clock = clock
        self._gateways = gateways
        self._baseline: Decimal | None = None  # None: read the history at the next check
        self._runs_seen: tuple[str, str, datetime] | None = None
        self._unexplained: Decimal | None = None  # a rise already logged as no deposit
        self._since: datetime | None = None  # since when deposits count (kept in the Store)

    async def look(self, snapshot: Snapshot) -> NewCash | None:
        """Deposits worth investing now, judged on ``snapshot`` (None: nothing to invest)."""
        cash = cash_held(self._policy, snapshot)
        if await self._own_money_moving():
            self._baseline = None
            return None
        baseline = self._baseline
        rise = None if baseline is None else cash - baseline
        if baseline is not None and rise is not None and rise < self._rule.min_amount:
            self._baseline = min(baseline, cash)  # the low point since the history was read
            return None
        self._baseline = cash
        inflows = await self._new_deposits()
        if inflows is None:  # a venue did not answer: read again next check
            self._baseline = None
            return None
        found = NewCash(tuple(inflows), cash)
        if found.total >= self._rule.min_amount and found.to_invest > 0:
            return found
        if rise is not None:
            self._log_unexplained(rise, found.total)
        return None

    async def _own_money_moving(self) -> bool:
        """A run of the portfolio ended since the last look, or a transfer of ours is moving."""
        venues = set(self._policy.venues)
        if any({t.source, t.destination} & venues for t in await self._store.pending_transfers()):
            return True
        newest = await self._store.list_runs(self._policy.name, limit=1)
        seen = (newest[0].id, newest[0].status.value, newest[0].updated_at) if newest else None
        changed, self._runs_seen = seen != self._runs_seen, seen
        return changed and self._baseline is not None

    async def _new_deposits(self) -> list[Inflow] | None:
        """Credited deposits of the quote since watching began, not ours, not invested yet."""
        if self._since is None:
            name, now = self._policy.name, self._clock.now()
            self._since = await self._store.deposits_watched_since(name, at=now)
        since = self._since
        found: list[Inflow] = []
        for venue in self._policy.venues:
            gateway = self._gateways.get(venue)
            if gateway is None:
                continue
            try:
                history = await gateway.fetch_deposits(self._policy.quote)
            except VenueError as error:
                log.warning("%s: deposits on %s not read: %s", self._policy.name, venue, error)
                return None
            ours = await self._store.transfer_deposit_ids(venue)
            invested = await self._store.invested_deposits(venue)
            found.extend(
                Inflow(venue, d.id, d.asset, d.amount)
                for d in history
                if self._counts(d, since) and d.id not in ours and d.id not in invested
            )
        return found

    def _counts(self, deposit: TransferReport, since: datetime) -> bool:
        """A credited deposit of the quote asset made since ``since``."""
        if deposit.asset != self._policy.quote or deposit.status is not TransferStatus.OK:
            return False
        if deposit.timestamp_ms is None or deposit.amount <= 0:
            return False  # when it was made is unknown: it may predate watching
        return deposit.timestamp_ms >= since.timestamp() * 1000

    def _log_unexplained(self, rise: Decimal, deposited: Decimal) -> None:
        if rise <= 0 or self._unexplained == rise:
            return
        self._unexplained = rise
        log.info(
            "%s: %s cash rose by %s with %s of it in new deposits; the rest is no deposit "
            "(a refund, unlocked funds, a trade by hand?): left as cash",
            self._policy.name,
            self._policy.quote,
            format_decimal(rise),
            format_decimal(deposited),
        )
