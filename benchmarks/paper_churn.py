"""How often the paper daemon rebalances, with band_edge runs landing on the edge or inside it.

Runs ``rebalancer run`` on the shipped paper config (``config/paper.toml`` and its simulator,
prices on a seeded random walk at an absurd 2,000 %/yr so drift shows within minutes) for a
few minutes per margin, each in a fresh state directory, then reads the runs it made from the
daemon's state database. The first run (which rebalances the lopsided paper start) is left
out; the rest are what drift alone caused. Prints, per ``band_edge_margin_percent``: runs,
runs per day at that pace, the median time between runs, and the notional traded per run.

``0.25`` is where runs landed before the margin existed (a quarter percent of the half-band,
kept for lot rounding); ``20`` is the default.

    .venv/bin/python benchmarks/paper_churn.py [--minutes 10] [--margins 0.25,20]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REBALANCER = Path(sys.executable).with_name("rebalancer")
FIRST_RUNS = 1  # the start-up run that fixes the lopsided paper balances


@dataclass(frozen=True, slots=True)
class Churn:
    """What one margin's daemon did."""

    margin: str
    minutes: float
    runs: int
    gaps_s: list[float]
    traded: list[Decimal]

    @property
    def per_day(self) -> float:
        return self.runs / (self.minutes * 60) * 86400


def paper_config(directory: Path, margin: str) -> Path:
    """The paper config and its simulator config in ``directory``, state kept there too."""
    text = (REPO / "config" / "paper.toml").read_text(encoding="utf-8")
    text = text.replace('state_dir = "../state/paper"', 'state_dir = "state"')
    text = text.replace(
        'rebalance_to = "band_edge"',
        f'rebalance_to = "band_edge"\nband_edge_margin_percent = "{margin}"',
    )
    config = directory / "paper.toml"
    config.write_text(text, encoding="utf-8")
    shutil.copy(REPO / "config" / "paper-sim.toml", directory / "paper-sim.toml")
    return config


def run_daemon(config: Path, minutes: float) -> None:
    """Run the paper daemon for ``minutes``, then stop it with SIGTERM."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REBALANCER_")}
    log = (config.parent / "daemon.log").open("w")
    daemon = subprocess.Popen(
        [str(REBALANCER), "run", "--config", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        time.sleep(minutes * 60)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=120)
        log.close()


def runs_of(state_dir: Path) -> list[tuple[float, Decimal]]:
    """(start time, notional traded) of every run in the daemon's state database, oldest first."""
    from rebalancer.persistence import open_existing_store
    from rebalancer.persistence.engine import sqlite_url
    from rebalancer.services.run_outcome import traded_notional

    async def read() -> list[tuple[float, Decimal]]:
        store = await open_existing_store(sqlite_url(state_dir))
        try:
            found = []
            for run in await store.list_runs(limit=1_000_000):
                orders = await store.orders_for_run(run.id)
                found.append((run.created_at.timestamp(), traded_notional(orders)))
            return sorted(found)
        finally:
            await store.close()

    return asyncio.run(read())


def measure(margin: str, minutes: float) -> Churn:
    """One margin: a fresh paper daemon for ``minutes``, and what its runs did."""
    with tempfile.TemporaryDirectory(prefix="rebalancer-churn-") as name:
        config = paper_config(Path(name), margin)
        run_daemon(config, minutes)
        runs = runs_of(Path(name) / "state")[FIRST_RUNS:]
    starts = [start for start, _ in runs]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    return Churn(margin, minutes, len(runs), gaps, [traded for _, traded in runs])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes per margin")
    parser.add_argument("--margins", default="0.25,20", help="band_edge_margin_percent values")
    args = parser.parse_args()
    print(f"paper daemon, {args.minutes:g} min per margin (the first run left out)")
    print("margin %  runs  runs/day  median gap  median traded/run")
    for margin in args.margins.split(","):
        churn = measure(margin.strip(), args.minutes)
        gap = f"{statistics.median(churn.gaps_s):.0f} s" if churn.gaps_s else "-"
        traded = f"{statistics.median(churn.traded):.0f} USDT" if churn.traded else "-"
        print(f"{churn.margin:>8}  {churn.runs:4d}  {churn.per_day:8.0f}  {gap:>10}  {traded:>17}")


if __name__ == "__main__":
    main()
