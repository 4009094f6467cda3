"""The planner against its physical limits (science.md B4), on real and synthetic cases.

* cost: within 1 % (1.01×) of the mixed-integer optimum with continuous amounts in every case
  (``reference_optimum``: the same model without rounding room, solved to 1e-6);
* turnover in ``band_edge`` mode: within 1 % of the closed form T* = max(E, D);
* and T* itself checked against a brute-force projection on small cases.

A bigger sweep with the same measures: ``benchmarks/planner_quality.py``.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from tests.fixtures.realdata import available, multivenue_case, real_case

from rebalancer.core.bounds import (
    destination_bands,
    independent_optimum,
    plan_turnover,
    reference_optimum,
    turnover_bound,
    weights_now,
)
from rebalancer.core.planner import plan_rebalance
from rebalancer.core.planner.goals import Band
from rebalancer.domain.policy import Policy, RebalanceTo
from rebalancer.domain.snapshot import Snapshot

pytestmark = pytest.mark.skipif(not available(), reason="needs ../shared/data")

SEEDS = range(8)


def cost_ratios(cases: list[tuple[Snapshot, Policy]]) -> list[float]:
    ratios = []
    for snap, policy in cases:
        optimum = reference_optimum(snap, policy)
        assert optimum.status == "Optimal"
        if optimum.cost >= 0.01:
            ratios.append(float(plan_rebalance(snap, policy).estimated_cost) / optimum.cost)
    return ratios


def turnover_ratios(cases: list[tuple[Snapshot, Policy]]) -> list[float]:
    ratios = []
    for snap, policy in cases:
        bound = turnover_bound(weights_now(snap, policy), destination_bands(snap, policy))
        if bound > Decimal("0.0001"):
            turnover = plan_turnover(plan_rebalance(snap, policy), snap, policy)
            ratios.append(float(turnover / bound))
    return ratios


def to_target(case: tuple[Snapshot, Policy]) -> tuple[Snapshot, Policy]:
    snap, policy = case
    return snap, replace(policy, rebalance_to=RebalanceTo.TARGET)


REAL = [real_case(seed, n_assets=12) for seed in SEEDS] if available() else []
MULTI = [multivenue_case(seed, n_assets=6, drift=0.8) for seed in SEEDS] if available() else []


@pytest.mark.parametrize(
    "cases",
    [
        pytest.param(REAL, id="real-single-venue-band-edge"),
        pytest.param([to_target(c) for c in REAL], id="real-single-venue-target"),
        pytest.param(MULTI, id="synthetic-three-venue-band-edge"),
        pytest.param([to_target(c) for c in MULTI], id="synthetic-three-venue-target"),
    ],
)
def test_plan_cost_is_within_one_percent_of_the_milp_optimum(
    cases: list[tuple[Snapshot, Policy]],
) -> None:
    ratios = cost_ratios(cases)

    assert len(ratios) >= len(cases) // 2  # most cases have something to do
    assert max(ratios) <= 1.01


@pytest.mark.parametrize(
    "cases",
    [pytest.param(REAL, id="real-single-venue"), pytest.param(MULTI, id="synthetic-three-venue")],
)
def test_plan_cost_is_within_one_percent_of_an_independently_written_formulation(
    cases: list[tuple[Snapshot, Policy]],
) -> None:
    ratios = []
    for snap, policy in cases:
        bound = independent_optimum(snap, policy)
        assert bound.status == "Optimal"
        if bound.cost >= 0.01:
            ratios.append(float(plan_rebalance(snap, policy).estimated_cost) / bound.cost)

    assert ratios
    assert max(ratios) <= 1.01
    assert min(ratios) >= 0.99  # a lower bound: only lot rounding may dip under it


def test_three_venue_cases_exercise_transfers() -> None:
    moved = sum(bool(plan_rebalance(snap, policy).transfers) for snap, policy in MULTI)

    assert moved >= 2


@pytest.mark.parametrize(
    "cases",
    [pytest.param(REAL, id="real-single-venue"), pytest.param(MULTI, id="synthetic-three-venue")],
)
def test_band_edge_turnover_is_within_one_percent_of_the_closed_form_minimum(
    cases: list[tuple[Snapshot, Policy]],
) -> None:
    ratios = turnover_ratios(cases)

    assert ratios
    assert all(0.99 <= r <= 1.01 for r in ratios), ratios


def brute_force_turnover(weights: dict[str, Decimal], bands: dict[str, Band]) -> Decimal:
    """Least one-way turnover to reach the bands, by greedy projection on a 1e-4 grid:
    move weight from assets above their band to assets below it, then to any asset with
    room, one grid step at a time (a slow check of the closed form)."""
    w = dict(weights)
    step = Decimal("0.0001")
    moved = Decimal(0)
    for _ in range(200_000):
        over = [a for a in w if w[a] > bands[a].upper + step / 2]
        under = [a for a in w if w[a] < bands[a].lower - step / 2]
        if not over and not under:
            return moved
        source = over[0] if over else next(a for a in w if w[a] - step >= bands[a].lower)
        target = under[0] if under else next(a for a in w if w[a] + step <= bands[a].upper)
        w[source] -= step
        w[target] += step
        moved += step
    raise AssertionError("projection did not converge")


@pytest.mark.parametrize(
    ("weights", "bands"),
    [
        (
            {"A": "0.6", "B": "0.3", "C": "0.1"},
            {"A": ("0.4", "0.5"), "B": ("0.25", "0.35"), "C": ("0.15", "0.25")},
        ),
        (
            {"A": "0.2", "B": "0.2", "C": "0.6"},
            {"A": ("0.3", "0.4"), "B": ("0.3", "0.4"), "C": ("0.1", "0.4")},
        ),
        ({"A": "0.5", "B": "0.5"}, {"A": ("0.45", "0.55"), "B": ("0.45", "0.55")}),
    ],
)
def test_closed_form_turnover_bound_matches_a_brute_force_projection(
    weights: dict[str, str], bands: dict[str, tuple[str, str]]
) -> None:
    w = {a: Decimal(v) for a, v in weights.items()}
    b = {a: Band(Decimal(lo), Decimal(hi)) for a, (lo, hi) in bands.items()}

    assert turnover_bound(w, b) == brute_force_turnover(w, b)
