"""How long ``plan_rebalance`` takes, end to end (model build, HiGHS, every Decimal stage).

Two shapes from the issue's speed bar:

* 20 assets (19 + USDT) on one venue, real Binance prices and rules: target < 20 ms median;
* 21 assets (20 + USDT) over 5 venues with USDT and asset transfer routes: target < 0.5 s median.

The first plan pays for importing HiGHS and numpy and is not timed.

    .venv/bin/python benchmarks/planner_speed.py [--cases N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures.realdata import multivenue_case, real_case

from rebalancer.core.planner import plan_rebalance
from rebalancer.domain.policy import Policy
from rebalancer.domain.snapshot import Snapshot


def time_plans(cases: list[tuple[Snapshot, Policy]]) -> list[float]:
    """Seconds per plan, one plan per case."""
    seconds: list[float] = []
    for snap, policy in cases:
        start = time.perf_counter()
        plan_rebalance(snap, policy)
        seconds.append(time.perf_counter() - start)
    return seconds


def report(name: str, seconds: list[float], bar_ms: float) -> None:
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[int(0.9 * (len(ms) - 1))]
    verdict = "ok" if statistics.median(ms) < bar_ms else "OVER"
    print(
        f"{name}: {len(ms)} plans  median {statistics.median(ms):.1f} ms  p90 {p90:.1f} ms  "
        f"max {ms[-1]:.1f} ms  (bar {bar_ms:.0f} ms median: {verdict})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=30, help="cases per shape")
    args = parser.parse_args()
    plan_rebalance(*real_case(0))  # warm-up: imports highspy and numpy
    single = [real_case(seed, n_assets=20) for seed in range(args.cases)]
    multi = [
        multivenue_case(seed, n_assets=21, n_venues=5, band=Decimal(2), drift=0.8)
        for seed in range(args.cases)
    ]
    routes = statistics.median(len(snap.routes) for snap, _ in multi)
    report("20 assets x 1 venue (real data)", time_plans(single), 20)
    report(f"21 assets x 5 venues, {routes:.0f} routes", time_plans(multi), 500)


if __name__ == "__main__":
    main()
