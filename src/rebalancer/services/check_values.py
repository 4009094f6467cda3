"""What the daemon loop works with and what a check reports: its values, kept apart from the
loop's behaviour (``services.daemon_loop``)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from rebalancer.domain.policy import Policy
from rebalancer.domain.records import RunRecord
from rebalancer.domain.requests import PauseRecord
from rebalancer.services.breaker_keeper import BreakerKeeper
from rebalancer.services.rebalance_cycle import CycleDeps, RebalanceCycle
from rebalancer.services.recovery import Recovery
from rebalancer.services.standing_orders import StandingOrderWatch


class CheckAction(enum.StrEnum):
    """What one check of a portfolio did."""

    SKIPPED = "skipped"  # not checked now (busy, stopping, breaker, venue, waiting)
    IDLE = "idle"  # checked: no trigger fired
    RAN = "ran"  # a run started (or an approved one went ahead) and ended or parked
    FAILED = "failed"  # the check itself raised (logged with its traceback)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check, with a sentence for people and the run if one ran."""

    portfolio: str
    action: CheckAction
    reason: str
    run: RunRecord | None = None
    attention: bool = False  # a person should look (breaker, unreconciled venue, no data)


@dataclass(frozen=True, slots=True)
class PortfolioWork:
    """One portfolio as the loop drives it: its policy, its run cycle and the cycle's inputs."""

    policy: Policy
    cycle: RebalanceCycle
    deps: CycleDeps
    standing: StandingOrderWatch | None = None  # deposits to invest, recurring runs


@dataclass(frozen=True, slots=True)
class Assembly:
    """What the loop works with, swapped as one value when the config is reloaded."""

    portfolios: Mapping[str, PortfolioWork]
    breaker: BreakerKeeper
    recovery: Recovery


def paused_text(pause: PauseRecord) -> str:
    """``paused by alice since 2026-11-22 10:00 UTC (venue maintenance)``."""
    since = pause.at.strftime("%Y-%m-%d %H:%M UTC")
    reason = f" ({pause.reason})" if pause.reason else ""
    return f"paused by {pause.by} since {since}{reason}: `rebalancer unpause {pause.portfolio}`"


def ended_text(run: RunRecord) -> str:
    """A sentence on how a run ended (or where it stopped)."""
    reason = f": {run.reason}" if run.reason else ""
    return f"run {run.id} {run.status.value}{reason}"
