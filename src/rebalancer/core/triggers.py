"""Whether a portfolio should be rebalanced now, and why.

Three triggers, checked in this order:

1. manual: a person asked; it always runs and ignores the cooldown;
2. drift: at least one asset is outside its band;
3. calendar: a scheduled instant (00:00 UTC of a scheduled date) has passed since the last
   rebalance. A portfolio never rebalanced has every past instant behind it, so it is due.

``cooldown_days`` holds back the automatic triggers (drift and calendar) until that many days
after the last rebalance; at exactly ``last + cooldown_days`` they may run again. A calendar date
missed during the cooldown stays due, so it runs when the cooldown ends.

"The last rebalance" (``last_rebalance_at``) is when the newest ``full`` run that traded ended
(``RunType.rebalances``; the Store's ``last_rebalance_at``): an ``invest_cash``, ``withdraw``
or ``liquidate`` run brings no weight back, so it neither restarts the cooldown nor marks a
calendar date done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from rebalancer.core import calendar
from rebalancer.core.drift import DriftReport, drift_of_snapshot
from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.money import format_decimal
from rebalancer.domain.policy import CalendarRule, Policy
from rebalancer.domain.runs import Trigger
from rebalancer.domain.snapshot import Snapshot

_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class TriggerDecision:
    """The verdict: run or not, which trigger fired, a sentence for people, the next date due."""

    should_run: bool
    trigger: Trigger | None
    reason: str
    next_calendar_date: date | None = None


def scheduled_instant(day: date) -> datetime:
    """The instant a scheduled date stands for: 00:00 UTC of that date."""
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def calendar_due(
    rule: CalendarRule, last_rebalance_at: datetime | None, now: datetime
) -> date | None:
    """The latest scheduled date whose instant passed after ``last_rebalance_at`` (None if none)."""
    now_utc = _utc(now, "now")
    latest = calendar.latest_on_or_before(rule, now_utc.date())
    if last_rebalance_at is None or scheduled_instant(latest) > _utc(last_rebalance_at, "last"):
        return latest
    return None


def cooldown_ends_at(policy: Policy, last_rebalance_at: datetime | None) -> datetime | None:
    """The first instant automatic triggers may run again (None when nothing holds them back)."""
    if last_rebalance_at is None or policy.cooldown_days <= 0:
        return None
    return _utc(last_rebalance_at, "last_rebalance_at") + timedelta(days=policy.cooldown_days)


def decide(
    drift: DriftReport,
    policy: Policy,
    *,
    last_rebalance_at: datetime | None,
    now: datetime,
    manual: bool = False,
) -> TriggerDecision:
    """Decide whether ``policy``'s portfolio should rebalance at ``now``."""
    now_utc = _utc(now, "now")
    upcoming = _next_date(policy, now_utc)
    if manual:
        return TriggerDecision(True, Trigger.MANUAL, "requested by hand", upcoming)
    due = calendar_due(policy.calendar, last_rebalance_at, now_utc) if policy.calendar else None
    fired = _automatic_reasons(drift, due)
    if not fired:
        return TriggerDecision(False, None, "within band and no calendar date due", upcoming)
    cooldown_end = cooldown_ends_at(policy, last_rebalance_at)
    if cooldown_end is not None and now_utc < cooldown_end:
        held = "; ".join(reason for _, reason in fired)
        reason = f"{held}; held back by the cooldown until {_stamp(cooldown_end)}"
        return TriggerDecision(False, None, reason, upcoming)
    return TriggerDecision(True, fired[0][0], "; ".join(r for _, r in fired), upcoming)


def decide_for_snapshot(
    snapshot: Snapshot,
    policy: Policy,
    *,
    last_rebalance_at: datetime | None,
    now: datetime,
    manual: bool = False,
) -> TriggerDecision:
    """Measure ``snapshot``'s drift under ``policy`` and decide as ``decide`` does."""
    drift = drift_of_snapshot(snapshot, policy)
    return decide(drift, policy, last_rebalance_at=last_rebalance_at, now=now, manual=manual)


def _automatic_reasons(drift: DriftReport, due: date | None) -> list[tuple[Trigger, str]]:
    fired: list[tuple[Trigger, str]] = []
    if drift.any_breached:
        fired.append(
            (Trigger.DRIFT, "drift: " + ", ".join(_describe(drift, a) for a in drift.breached))
        )
    if due is not None:
        fired.append((Trigger.CALENDAR, f"calendar: {due.isoformat()} is due"))
    return fired


def _describe(drift: DriftReport, asset: str) -> str:
    item = drift.for_asset(asset)
    weight = format_decimal(item.weight.quantize(_CENT))
    lower, upper = format_decimal(item.lower), format_decimal(item.upper)
    return f"{asset} at {weight}% outside {lower}..{upper}%"


def _next_date(policy: Policy, now_utc: datetime) -> date | None:
    if policy.calendar is None:
        return None
    return calendar.next_after(policy.calendar, now_utc.date())


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue(f"{what}: expected a timezone-aware datetime, got {moment.isoformat()}")
    return moment.astimezone(UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
