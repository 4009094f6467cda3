"""What ``/status``, ``/runs`` and ``/setasides`` show: a portfolio's standing, the recent
runs, and the cash held out of it for withdrawals."""

from __future__ import annotations

from collections.abc import Sequence

from rebalancer.alerting.formatting import amount, drift_table, money
from rebalancer.alerting.render import Standing
from rebalancer.domain.records import RunRecord
from rebalancer.domain.requests import PauseRecord
from rebalancer.domain.set_asides import SetAside


def portfolio_status(
    name: str, standing: Standing | None, paused: PauseRecord | None
) -> tuple[str, tuple[str, ...]]:
    """One line (value, bands, paused) and the weights table of a portfolio."""
    pause = f"; paused by {paused.by}: {paused.reason}" if paused is not None else ""
    if standing is None:
        return f"{name}: not known{pause}", ()
    quote, drift = standing
    if drift is None:
        return f"{name}: no weights now (its venues are not ready){pause}", ()
    where = "outside its bands" if drift.any_breached else "inside its bands"
    return f"{name}: {money(drift.total, quote)}, {where}{pause}", drift_table(drift)


def runs_lines(runs: Sequence[RunRecord]) -> tuple[str, ...]:
    """``3f9a0c2d1e  core  full  FILLED  2026-12-06 06:02`` per run, newest first."""
    return tuple(
        f"{run.id}  {run.portfolio}  {run.run_type.value}  {run.status.value}  "
        f"{run.created_at.strftime('%Y-%m-%d %H:%M')}"
        for run in runs
    )


def set_aside_lines(items: Sequence[SetAside]) -> tuple[str, ...]:
    """``sa-1f2e3d4c  5,000 USDT on binance  since 2026-12-06 09:00  expires 2027-01-05 09:00``
    per active set-aside (times in UTC), oldest first."""
    lines = []
    for item in items:
        since = item.created_at.strftime("%Y-%m-%d %H:%M")
        expires = (
            f"expires {item.expires_at.strftime('%Y-%m-%d %H:%M')}"
            if item.expires_at is not None
            else "never expires"
        )
        lines.append(
            f"{item.id}  {amount(item.amount, item.asset)} on {item.venue}  since {since}  "
            f"{expires}"
        )
    return tuple(lines)
