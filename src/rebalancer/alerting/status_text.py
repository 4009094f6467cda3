"""What ``/status`` and ``/runs`` show: a portfolio's standing and the recent runs."""

from __future__ import annotations

from collections.abc import Sequence

from rebalancer.alerting.formatting import drift_table, money
from rebalancer.alerting.render import Standing
from rebalancer.domain.records import RunRecord
from rebalancer.domain.requests import PauseRecord


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
