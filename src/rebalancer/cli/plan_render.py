"""The human-readable form of a plan, as ``rebalancer plan`` prints it without ``--json``.

Four parts: the weights (before, target, band, after, and whether the asset breached its band),
the orders, the transfers, and what the plan could not do (residuals, with reasons). Everything
printed comes from the plan, the policy and the snapshot, so the same inputs give the same text.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from rebalancer.codecs.json_fields import format_timestamp
from rebalancer.codecs.plan_json import display_weight
from rebalancer.core.drift import DriftReport
from rebalancer.domain.money import format_decimal
from rebalancer.domain.plan import Plan, PlannedOrder, PlannedTransfer
from rebalancer.domain.policy import Policy
from rebalancer.domain.snapshot import Route, Snapshot

CENT = Decimal("0.01")


def render_plan(plan: Plan, policy: Policy, drift: DriftReport, snapshot: Snapshot) -> str:
    """The whole plan as aligned plain-text tables, ending with a newline."""
    quote = policy.quote
    parts = [
        f"Plan for portfolio {plan.portfolio!r} ({plan.run_type.value}), "
        f"snapshot taken {format_timestamp(snapshot.taken_at)}",
        f"Portfolio value: {_money(drift.total)} {quote}",
        "",
        _weights_table(plan, drift),
        "",
        _orders_section(plan.orders),
        "",
        _transfers_section(plan.transfers, snapshot.routes),
        "",
        f"Estimated cost: {_money(plan.estimated_cost)} {quote}",
    ]
    if plan.is_empty:
        parts.append("Nothing to trade: the portfolio needs no orders or transfers.")
    parts += ["", _residuals_section(plan)]
    return "\n".join(parts).rstrip("\n") + "\n"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    """Rows aligned under ``header``; columns in ``numeric`` are right-aligned."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    return "\n".join(["  " + line(header), *("  " + line(row) for row in rows)])


def _weights_table(plan: Plan, drift: DriftReport) -> str:
    rows = []
    for item in drift.assets:
        after = plan.weights_after.get(item.asset)
        rows.append(
            [
                item.asset,
                _percent(plan.weights_before.get(item.asset, item.weight)),
                _percent(item.target),
                f"{_percent(item.lower)} .. {_percent(item.upper)}",
                _percent(after) if after is not None else "-",
                "outside band" if item.breached else "",
            ]
        )
    header = ["asset", "before", "target", "band", "after", "before vs band"]
    return "Weights\n" + table(header, rows, numeric={1, 2, 4})


def _orders_section(orders: Sequence[PlannedOrder]) -> str:
    if not orders:
        return "Orders: none"
    rows = [
        [
            order.id,
            order.venue,
            order.side.value,
            format_decimal(order.amount),
            order.symbol,
            format_decimal(order.price),
            _money(order.notional),
            ", ".join(order.depends_on) or "-",
        ]
        for order in orders
    ]
    header = ["id", "venue", "side", "amount", "symbol", "price", "notional", "waits for"]
    return f"Orders ({len(orders)})\n" + table(header, rows, numeric={3, 5, 6})


def _transfers_section(transfers: Sequence[PlannedTransfer], routes: Sequence[Route]) -> str:
    if not transfers:
        return "Transfers: none"
    rows = []
    for transfer in transfers:
        route = _route_of(transfer, routes)
        rows.append(
            [
                transfer.id,
                transfer.asset,
                transfer.network,
                f"{transfer.source} -> {transfer.destination}",
                format_decimal(transfer.amount),
                format_decimal(route.fee) if route else "?",
                f"~{route.eta_s} s" if route else "?",
                ", ".join(transfer.depends_on) or "-",
            ]
        )
    header = ["id", "asset", "network", "route", "amount", "fee", "eta", "waits for"]
    why = "".join(f"\n  {t.id}: {t.purpose}" for t in transfers if t.purpose)
    return f"Transfers ({len(transfers)})\n" + table(header, rows, numeric={4, 5, 6}) + why


def _residuals_section(plan: Plan) -> str:
    if not plan.residuals:
        return "Residuals: none"
    rows = [
        [item.asset, item.venue or "-", format_decimal(item.amount), item.reason]
        for item in plan.residuals
    ]
    header = ["asset", "venue", "amount", "reason"]
    return "Residuals (left undone)\n" + table(header, rows, numeric={2})


def _route_of(transfer: PlannedTransfer, routes: Sequence[Route]) -> Route | None:
    for route in routes:
        if (route.asset, route.network, route.source, route.destination) == (
            transfer.asset,
            transfer.network,
            transfer.source,
            transfer.destination,
        ):
            return route
    return None


def _percent(value: Decimal) -> str:
    return display_weight(value) + "%"


def _money(value: Decimal) -> str:
    return format_decimal(value.quantize(CENT))
