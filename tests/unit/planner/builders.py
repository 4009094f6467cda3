"""Small hand-made snapshots and policies for planner tests, plus an independent simulator
of a plan (it does not use the planner's own code) to check what a plan does to balances."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal

from rebalancer.domain.market import Market, OrderSide
from rebalancer.domain.plan import Plan, PlannedOrder, PlannedTransfer
from rebalancer.domain.policy import BandType, Constraints, DriftBand, Policy, RebalanceTo
from rebalancer.domain.quotes import Quote
from rebalancer.domain.snapshot import ListedMarket, Route, Snapshot, VenueSnapshot

D = Decimal
WHEN = datetime(2024, 3, 1, tzinfo=UTC)


def market(
    base: str,
    bid: str,
    ask: str,
    step: str = "0.0001",
    min_notional: str = "5",
    fee: str = "0.001",
    tick: str = "0.01",
    quote: str = "USDT",
) -> ListedMarket:
    """A BASE/QUOTE market with its quote."""
    rules = Market(
        f"{base}/{quote}", base, quote, D(step), D(step), D(min_notional), D(tick), D(fee)
    )
    return ListedMarket(rules, Quote(D(bid), D(ask)))


def venue(balances: Mapping[str, str], *markets: ListedMarket) -> VenueSnapshot:
    """A venue with balances (decimal strings) and markets."""
    return VenueSnapshot(
        {a: D(v) for a, v in balances.items()}, {m.rules.symbol: m for m in markets}
    )


def snapshot(
    venues: Mapping[str, VenueSnapshot], routes: Iterable[Route] = (), **kw: object
) -> Snapshot:
    """A snapshot taken at a fixed moment."""
    return Snapshot(WHEN, dict(venues), tuple(routes), **kw)  # type: ignore[arg-type]


def route(asset: str, source: str, target: str, fee: str = "1", minimum: str = "10") -> Route:
    """A transfer route."""
    return Route(asset, "NET", source, target, D(fee), D(minimum), 300)


def policy(
    weights: Mapping[str, str],
    venues: Iterable[str] = ("x",),
    band: str | None = "5",
    band_type: BandType = BandType.ABSOLUTE,
    rebalance_to: RebalanceTo = RebalanceTo.BAND_EDGE,
    **constraints: object,
) -> Policy:
    """A policy over ``venues`` with absolute bands of ``band`` points; ``constraints`` are
    ``Constraints`` fields, or the policy's own ``band_edge_margin_percent`` and
    ``target_tolerance_percent``."""
    own = {k: constraints.pop(k) for k in POLICY_KEYS if k in constraints}
    return Policy(
        name="core",
        quote="USDT",
        venues=tuple(venues),
        weights={a: D(w) for a, w in weights.items()},
        rebalance_to=rebalance_to,
        drift_band=DriftBand(band_type, D(band)) if band is not None else None,
        constraints=Constraints(**constraints),  # type: ignore[arg-type]
        **own,  # type: ignore[arg-type]
    )


POLICY_KEYS = ("band_edge_margin_percent", "target_tolerance_percent")


Account = tuple[str, str]  # (venue, asset)


def deltas(node: PlannedOrder | PlannedTransfer, snap: Snapshot) -> dict[Account, Decimal]:
    """What one finished node changes, per (venue, asset)."""
    if isinstance(node, PlannedTransfer):
        fee = next(
            r.fee
            for r in snap.routes
            if (r.asset, r.network, r.source, r.destination)
            == (node.asset, node.network, node.source, node.destination)
        )
        return {
            (node.source, node.asset): -node.amount,
            (node.destination, node.asset): node.amount - fee,
        }
    rules = snap.venues[node.venue].markets[node.symbol].rules
    notional = node.amount * node.price
    if node.side is OrderSide.BUY:
        return {
            (node.venue, rules.base): node.amount,
            (node.venue, rules.quote): -notional * (1 + rules.taker_fee),
        }
    return {
        (node.venue, rules.base): -node.amount,
        (node.venue, rules.quote): notional * (1 - rules.taker_fee),
    }


def balances_of(snap: Snapshot) -> dict[Account, Decimal]:
    """Every (venue, asset) balance of a snapshot."""
    out: dict[Account, Decimal] = defaultdict(Decimal)
    for name, state in snap.venues.items():
        for asset, amount in state.balances.items():
            out[(name, asset)] += amount
    return out


def final_balances(plan: Plan, snap: Snapshot) -> dict[Account, Decimal]:
    """Balances once every node of the plan has run."""
    out = balances_of(snap)
    for node in (*plan.orders, *plan.transfers):
        for account, change in deltas(node, snap).items():
            out[account] += change
    return dict(out)


def schedules(
    plan: Plan, snap: Snapshot, rng: random.Random, count: int
) -> list[list[PlannedOrder | PlannedTransfer]]:
    """``count`` random topological orders of the plan's DAG, plus, for every account, the
    adversarial order that runs its debits as early and its credits as late as the edges allow."""
    nodes = {n.id: n for n in (*plan.orders, *plan.transfers)}
    changes = {i: deltas(n, snap) for i, n in nodes.items()}

    def run(pick: Callable[[list[str]], str]) -> list[PlannedOrder | PlannedTransfer]:
        done: list[str] = []
        left = set(nodes)
        while left:
            ready = sorted(i for i in left if all(d in done for d in nodes[i].depends_on))
            assert ready, "the plan's DAG has a cycle or a dangling dependency"
            chosen = pick(ready)
            done.append(chosen)
            left.remove(chosen)
        return [nodes[i] for i in done]

    accounts = sorted({a for change in changes.values() for a in change})
    adversarial = [
        run(lambda ready, acc=acc: min(ready, key=lambda i: changes[i].get(acc, Decimal(0))))
        for acc in accounts
    ]
    return adversarial + [run(rng.choice) for _ in range(count)]


def worst_prefix(plan: Plan, snap: Snapshot, rng: random.Random, count: int = 20) -> Decimal:
    """The lowest balance any account reaches over the sampled schedules."""
    low = Decimal(0)
    for schedule in schedules(plan, snap, rng, count):
        running = balances_of(snap)
        for node in schedule:
            for account, change in deltas(node, snap).items():
                running[account] += change
                low = min(low, running[account])
    return low
