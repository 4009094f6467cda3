"""How close the planner's plans are to the physical limits (science.md B4).

For each case: cost ratio = plan cost (contracts.md §3) / the mixed-integer optimum with
continuous amounts (``rebalancer.core.bounds.reference_optimum``), and turnover ratio = the
plan's one-way turnover / T* = max(E, D). Cases: single-venue snapshots from real Binance
prices and rules, and synthetic three-venue snapshots with transfer routes.

    .venv/bin/python benchmarks/planner_quality.py [--cases N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures.realdata import multivenue_case, real_case

from rebalancer.core.bounds import (
    destination_bands,
    independent_optimum,
    plan_turnover,
    reference_optimum,
    turnover_bound,
    weights_now,
)
from rebalancer.core.planner import plan_rebalance
from rebalancer.domain.policy import Policy, RebalanceTo
from rebalancer.domain.snapshot import Snapshot

MIN_COST = 0.01  # USD: below this a ratio says more about rounding than about planning


@dataclass(frozen=True, slots=True)
class Row:
    """One case's comparison with its limits."""

    name: str
    cost: float
    optimum: float
    independent: float
    turnover: float
    bound: float
    transfers: int

    @property
    def cost_ratio(self) -> float | None:
        return self.cost / self.optimum if self.optimum >= MIN_COST else None

    @property
    def independent_ratio(self) -> float | None:
        return self.cost / self.independent if self.independent >= MIN_COST else None

    @property
    def turnover_ratio(self) -> float | None:
        return self.turnover / self.bound if self.bound > 1e-4 else None


def measure(name: str, snap: Snapshot, policy: Policy) -> Row:
    """Plan one case and compare it with the optimum and the turnover bound."""
    plan = plan_rebalance(snap, policy)
    optimum = reference_optimum(snap, policy)
    independent = independent_optimum(snap, policy)
    bound = turnover_bound(weights_now(snap, policy), destination_bands(snap, policy))
    turnover = plan_turnover(plan, snap, policy)
    return Row(
        name,
        float(plan.estimated_cost),
        optimum.cost,
        independent.cost,
        float(turnover),
        float(bound),
        len(plan.transfers),
    )


def suites() -> dict[str, Callable[[int], tuple[Snapshot, Policy]]]:
    """The case families, each a function of a seed."""
    return {
        "real 1-venue band_edge": real_case,
        "real 1-venue target": lambda s: retarget(real_case(s)),
        "synthetic 3-venue band_edge": lambda s: multivenue_case(s, drift=0.8),
        "synthetic 3-venue target": lambda s: retarget(multivenue_case(s, drift=0.8)),
        "synthetic 5-venue 21-asset band_edge": lambda s: multivenue_case(
            s, n_assets=21, n_venues=5, band=Decimal(2), drift=0.8
        ),
    }


def retarget(case: tuple[Snapshot, Policy]) -> tuple[Snapshot, Policy]:
    """The same case planned to target instead of to the band edge."""
    from dataclasses import replace

    snap, policy = case
    return snap, replace(policy, rebalance_to=RebalanceTo.TARGET)


def summarise(values: list[float]) -> str:
    if not values:
        return "n/a"
    return (
        f"median {statistics.median(values):.4f}  worst {max(values):.4f}  best {min(values):.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=40, help="cases per family")
    args = parser.parse_args()
    for family, make in suites().items():
        count = min(args.cases, 10) if "5-venue" in family else args.cases
        rows = [measure(f"{family} #{s}", *make(s)) for s in range(count)]
        costs = [r.cost_ratio for r in rows if r.cost_ratio is not None]
        print(
            f"{family}: {len(rows)} cases, {len(costs)} with cost >= {MIN_COST} USD, "
            f"{sum(r.transfers > 0 for r in rows)} with transfers"
        )
        print(f"  cost / MILP optimum   {summarise(costs)}")
        if "band_edge" in family:
            second = [r.independent_ratio for r in rows if r.independent_ratio is not None]
            print(f"  cost / independent    {summarise(second)}")
            turns = [r.turnover_ratio for r in rows if r.turnover_ratio is not None]
            print(f"  turnover / T*         {summarise(turns)}")


if __name__ == "__main__":
    main()
