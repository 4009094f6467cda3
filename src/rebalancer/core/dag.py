"""Ready-node scheduling over a plan's DAG, with the standard library's ``graphlib``.

The executor asks which nodes are ready, runs them, and reports each one done or failed. A
failed node's dependants can never run: they are skipped (and reported as skipped) instead of
blocking the run forever. Pure: the executor does the waiting.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter

from rebalancer.domain.errors import PlanningError
from rebalancer.domain.plan import Plan, PlannedOrder, PlannedTransfer

PlanNode = PlannedOrder | PlannedTransfer


class NodeOutcome(enum.StrEnum):
    """How a node ended."""

    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # a dependency failed or was skipped


@dataclass(frozen=True, slots=True)
class Ready:
    """Nodes that may start now, and nodes skipped because something they needed failed."""

    start: tuple[str, ...]
    skipped: tuple[str, ...]


def plan_nodes(plan: Plan) -> dict[str, PlanNode]:
    """Every node of the plan by id; a duplicate id is a PlanningError naming it."""
    nodes: dict[str, PlanNode] = {}
    every: tuple[PlanNode, ...] = (*plan.orders, *plan.transfers)
    for node in every:
        if node.id in nodes:
            raise PlanningError(f"plan node id {node.id!r} is used twice")
        nodes[node.id] = node
    return nodes


class PlanGraph:
    """The plan's dependency graph while it executes."""

    def __init__(self, dependencies: Mapping[str, Iterable[str]]) -> None:
        """Build from ``node id -> ids it depends on``; unknown ids and cycles are errors."""
        self._dependants: dict[str, set[str]] = {node: set() for node in dependencies}
        for node, needs in dependencies.items():
            for need in needs:
                if need not in self._dependants:
                    raise PlanningError(f"plan node {node!r} depends on unknown node {need!r}")
                self._dependants[need].add(node)
        self._sorter: TopologicalSorter[str] = TopologicalSorter(
            {node: tuple(needs) for node, needs in dependencies.items()}
        )
        try:
            self._sorter.prepare()
        except CycleError as error:
            cycle = " -> ".join(str(n) for n in error.args[1])
            raise PlanningError(f"plan has a dependency cycle: {cycle}") from error
        self._outcomes: dict[str, NodeOutcome] = {}
        self._blocked: set[str] = set()
        self._started: set[str] = set()

    @classmethod
    def from_plan(cls, plan: Plan, completed: Iterable[str] = ()) -> PlanGraph:
        """The graph of ``plan``; ``completed`` ids (found done after a restart) count as done."""
        graph = cls({node.id: node.depends_on for node in plan_nodes(plan).values()})
        for node_id in completed:
            graph.mark_done_when_ready(node_id)
        return graph

    def mark_done_when_ready(self, node_id: str) -> None:
        """Note that ``node_id`` already finished; it is reported done as soon as it is ready."""
        if node_id not in self._dependants:
            raise PlanningError(f"unknown plan node {node_id!r}")
        self._outcomes[node_id] = NodeOutcome.DONE

    def ready(self) -> Ready:
        """Nodes that may start now (each returned once) and nodes newly skipped."""
        start: list[str] = []
        skipped: list[str] = []
        pending = list(self._sorter.get_ready())
        while pending:
            node = pending.pop(0)
            if self._outcomes.get(node) is NodeOutcome.DONE:
                pass  # finished before this graph was built (recovery)
            elif node in self._blocked:
                self._outcomes[node] = NodeOutcome.SKIPPED
                self._block_dependants(node)
                skipped.append(node)
            else:
                self._started.add(node)
                start.append(node)
                continue
            self._sorter.done(node)
            pending.extend(self._sorter.get_ready())
        return Ready(tuple(sorted(start)), tuple(sorted(skipped)))

    def done(self, node_id: str) -> None:
        """Report a started node finished successfully."""
        self._finish(node_id, NodeOutcome.DONE)

    def failed(self, node_id: str) -> None:
        """Report a started node failed: everything that depends on it will be skipped."""
        self._finish(node_id, NodeOutcome.FAILED)
        self._block_dependants(node_id)

    def _finish(self, node_id: str, outcome: NodeOutcome) -> None:
        if node_id not in self._started or node_id in self._outcomes:
            raise PlanningError(f"plan node {node_id!r} was not running")
        self._outcomes[node_id] = outcome
        self._sorter.done(node_id)

    def _block_dependants(self, node_id: str) -> None:
        stack = list(self._dependants[node_id])
        while stack:
            node = stack.pop()
            if node not in self._blocked:
                self._blocked.add(node)
                stack.extend(self._dependants[node])

    @property
    def is_active(self) -> bool:
        """True while some node has not finished (running, ready or waiting)."""
        return self._sorter.is_active()

    @property
    def outcomes(self) -> Mapping[str, NodeOutcome]:
        """How each finished node ended."""
        return dict(self._outcomes)
