"""Stage 6, the DAG: stable ids and the dependencies that keep every balance non-negative.

Orders are numbered ``o1, o2, …`` by (venue, sells first, symbol, slice); transfers ``t1, …``
by route key. The edges (DESIGN.md §4):

* a sell waits for the asset transfers that bring that asset to its venue;
* a quote transfer waits for the sells on its source venue (they fund it), and, when the venue
  forwards cash it receives (``forwarding``), for every quote transfer into that venue;
* a buy waits for every sell on its venue and every quote transfer into it.

Asset transfers wait for nothing: they only move what the venue already holds. Nothing
points back from a buy; forwarding could close a loop of transfers, which ``build_nodes``
refuses with ``CyclicPlan`` (the planner then plans again without forwarding).
"""

from __future__ import annotations

from collections.abc import Set
from graphlib import CycleError, TopologicalSorter

from rebalancer.core.planner.draft import Draft
from rebalancer.domain.errors import PlanningError
from rebalancer.domain.market import OrderSide
from rebalancer.domain.plan import PlannedOrder, PlannedTransfer


class CyclicPlan(PlanningError):
    """Forwarded transfers would wait on each other."""


def check_acyclic(orders: tuple[PlannedOrder, ...], transfers: tuple[PlannedTransfer, ...]) -> None:
    """Raise ``CyclicPlan`` when the dependencies form a loop."""
    graph: dict[str, tuple[str, ...]] = {o.id: o.depends_on for o in orders}
    graph.update({t.id: t.depends_on for t in transfers})
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        raise CyclicPlan(f"transfers wait on each other: {error.args[1]}") from error


def build_nodes(
    draft: Draft, quote: str, forwarding: Set[str] = frozenset()
) -> tuple[tuple[PlannedOrder, ...], tuple[PlannedTransfer, ...]]:
    """Number the draft's trades and transfers and wire their dependencies.

    ``forwarding`` names the venues whose outgoing quote transfers need cash that arrives by
    transfer, so those wait for the incoming ones.
    """
    trades = sorted(enumerate(draft.trades), key=lambda item: (item[1].key, item[0]))
    order_ids = {index: f"o{n}" for n, (index, _) in enumerate(trades, start=1)}
    transfers = sorted(draft.transfers, key=lambda t: (t.route.key, -t.amount))
    transfer_ids = [f"t{n}" for n in range(1, len(transfers) + 1)]
    sells_on: dict[str, list[str]] = {}
    for index, trade in trades:
        if trade.side is OrderSide.SELL:
            sells_on.setdefault(trade.market.venue, []).append(order_ids[index])
    planned_transfers: list[PlannedTransfer] = []
    for tid, transfer in zip(transfer_ids, transfers, strict=True):
        route = transfer.route
        deps: tuple[str, ...] = ()
        if route.asset == quote:
            deps = tuple(sells_on.get(route.source, ()))
            if route.source in forwarding:
                pairs = zip(transfer_ids, transfers, strict=True)
                deps += tuple(
                    i
                    for i, t in pairs
                    if (t.route.asset, t.route.destination) == (quote, route.source)
                )
        planned_transfers.append(
            PlannedTransfer(
                tid,
                route.asset,
                route.network,
                route.source,
                route.destination,
                transfer.amount,
                deps,
                transfer.purpose,
            )
        )
    orders: list[PlannedOrder] = []
    for index, trade in trades:
        venue, asset = trade.market.venue, trade.market.asset
        if trade.side is OrderSide.SELL:
            wanted = [t.id for t in planned_transfers if (t.asset, t.destination) == (asset, venue)]
        else:
            moves = planned_transfers
            incoming = [t.id for t in moves if (t.asset, t.destination) == (quote, venue)]
            wanted = sells_on.get(venue, []) + incoming
        orders.append(
            PlannedOrder(
                order_ids[index],
                venue,
                trade.market.rules.symbol,
                trade.side,
                trade.amount,
                trade.price,
                tuple(wanted),
            )
        )
    result = tuple(orders), tuple(planned_transfers)
    check_acyclic(*result)
    return result
