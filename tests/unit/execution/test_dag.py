from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebalancer.core.dag import NodeOutcome, PlanGraph
from rebalancer.domain.errors import PlanningError
from rebalancer.domain.market import OrderSide
from rebalancer.domain.plan import Plan, PlannedOrder, PlannedTransfer, RunType


def order(node_id: str, venue: str, side: OrderSide, *deps: str) -> PlannedOrder:
    return PlannedOrder(node_id, venue, "BTC/USDT", side, Decimal("0.1"), Decimal(100), deps)


def a_plan() -> Plan:
    return Plan(
        portfolio="core",
        run_type=RunType.FULL,
        orders=(
            order("o1", "binance", OrderSide.SELL),
            order("o2", "okx", OrderSide.BUY, "t1"),
            order("o3", "binance", OrderSide.BUY, "o1"),
        ),
        transfers=(PlannedTransfer("t1", "USDT", "TRC20", "binance", "okx", Decimal(50), ("o1",)),),
        estimated_cost=Decimal(0),
        weights_before={},
        weights_after={},
    )


def test_independent_nodes_are_ready_first_and_dependants_follow() -> None:
    graph = PlanGraph.from_plan(a_plan())
    assert graph.ready().start == ("o1",)
    graph.done("o1")
    assert graph.ready().start == ("o3", "t1")
    graph.done("t1")
    assert graph.ready().start == ("o2",)
    graph.done("o3")
    graph.done("o2")
    assert not graph.is_active


def test_a_failed_node_skips_everything_downstream() -> None:
    graph = PlanGraph.from_plan(a_plan())
    graph.ready()
    graph.failed("o1")
    ready = graph.ready()
    assert ready.start == ()
    assert ready.skipped == ("o2", "o3", "t1")
    assert not graph.is_active
    assert graph.outcomes["o2"] is NodeOutcome.SKIPPED


def test_nodes_done_before_a_restart_are_not_started_again() -> None:
    graph = PlanGraph.from_plan(a_plan(), completed=["o1", "t1"])
    assert graph.ready().start == ("o2", "o3")


def test_a_node_is_handed_out_only_once() -> None:
    graph = PlanGraph.from_plan(a_plan())
    assert graph.ready().start == ("o1",)
    assert graph.ready().start == ()


def test_unknown_dependency_is_an_error_naming_it() -> None:
    with pytest.raises(PlanningError, match="'zz'"):
        PlanGraph({"a": ["zz"]})


def test_cycle_is_an_error() -> None:
    with pytest.raises(PlanningError, match="cycle"):
        PlanGraph({"a": ["b"], "b": ["a"]})


def test_reporting_a_node_that_never_started_is_an_error() -> None:
    graph = PlanGraph({"a": [], "b": ["a"]})
    with pytest.raises(PlanningError, match="'b'"):
        graph.done("b")


@st.composite
def random_dags(draw: st.DrawFn) -> tuple[dict[str, list[str]], set[str]]:
    size = draw(st.integers(min_value=1, max_value=12))
    names = [f"n{i}" for i in range(size)]
    deps = {
        name: draw(st.lists(st.sampled_from(names[:i]), unique=True, max_size=3)) if i else []
        for i, name in enumerate(names)
    }
    failing = set(draw(st.lists(st.sampled_from(names), unique=True)))
    return deps, failing


@given(random_dags())
def test_every_node_ends_once_and_never_before_its_dependencies(
    case: tuple[dict[str, list[str]], set[str]],
) -> None:
    deps, failing = case
    graph = PlanGraph(deps)
    finished: dict[str, NodeOutcome] = {}
    for _ in range(len(deps) + 1):
        ready = graph.ready()
        for node in ready.skipped:
            assert any(finished.get(d) is not NodeOutcome.DONE for d in deps[node])
            finished[node] = NodeOutcome.SKIPPED
        for node in ready.start:
            assert all(finished.get(d) is NodeOutcome.DONE for d in deps[node])
            if node in failing:
                graph.failed(node)
                finished[node] = NodeOutcome.FAILED
            else:
                graph.done(node)
                finished[node] = NodeOutcome.DONE
        if not graph.is_active:
            break
    assert not graph.is_active
    assert set(finished) == set(deps)
    assert dict(graph.outcomes) == finished
