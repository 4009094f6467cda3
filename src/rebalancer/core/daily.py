"""When a daily local time next comes: the digest's clock, correct across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def next_daily(now: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The first moment after ``now`` (aware) whose wall clock in ``zone`` reads ``at``, in UTC.

    On a day the clocks skip ``at`` (spring forward) it is the moment the clocks reach the
    later side of the gap; on a day they pass it twice (fall back), the first of the two.
    """
    local = now.astimezone(zone)
    day = local.date()
    while True:
        candidate = datetime.combine(day, at, tzinfo=zone)
        if candidate.astimezone(UTC) > now.astimezone(UTC):
            return candidate.astimezone(UTC)
        day += timedelta(days=1)
