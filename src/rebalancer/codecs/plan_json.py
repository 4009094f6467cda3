"""The plan's JSON form (docs/formats.md): what ``rebalancer plan --json`` prints and runs store.

Keys come in the documented order, decimals are strings without exponents, weights are shown
rounded to two decimals (half to even), and weight maps are sorted by asset. Orders, transfers,
residuals and ``depends_on`` keep the planner's order, which is itself deterministic, so the same
plan always gives the same bytes.

``parse_plan`` reads the form back (a stored plan, or one a person edited) and raises
``PlanFormatError`` naming the JSON path of the first fault, including node ids that repeat and
dependencies on nodes the plan does not have. A plan read back equals the plan that was
written except for the weights, which carry only the two decimals that were shown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from rebalancer.codecs.json_fields import JsonReader, child
from rebalancer.domain.errors import RebalancerError
from rebalancer.domain.market import OrderSide
from rebalancer.domain.money import ZERO, format_decimal
from rebalancer.domain.plan import (
    PLAN_VERSION,
    Plan,
    PlannedOrder,
    PlannedTransfer,
    Residual,
    RunType,
)

WEIGHT_PLACES = Decimal("0.01")


class PlanFormatError(RebalancerError):
    """A plan document is malformed; ``field`` is the JSON path of the offending value."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}")


def display_weight(weight: Decimal) -> str:
    """A weight in percent as shown in the plan: two decimals, half to even ("45.10")."""
    return format_decimal(weight.quantize(WEIGHT_PLACES, rounding=ROUND_HALF_EVEN))


def plan_document(plan: Plan) -> dict[str, Any]:
    """The plan as the JSON-ready object of docs/formats.md, keys in the documented order."""
    return {
        "version": plan.version,
        "portfolio": plan.portfolio,
        "run_type": plan.run_type.value,
        "orders": [_order_doc(order) for order in plan.orders],
        "transfers": [_transfer_doc(transfer) for transfer in plan.transfers],
        "estimated_cost": format_decimal(plan.estimated_cost),
        "weights_before": _weights_doc(plan.weights_before),
        "weights_after": _weights_doc(plan.weights_after),
        "residuals": [_residual_doc(residual) for residual in plan.residuals],
        **({"amount": format_decimal(plan.amount)} if plan.amount is not None else {}),
    }


def dump_plan(plan: Plan, *, compact: bool = False) -> str:
    """Write ``plan`` as docs/formats.md JSON, the same bytes for the same plan.

    ``compact`` leaves out the indentation (the same document, faster to write).
    """
    if compact:
        return json.dumps(plan_document(plan), ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(plan_document(plan), indent=2, ensure_ascii=False) + "\n"


def parse_plan(source: str | bytes | Mapping[str, Any]) -> Plan:
    """Read a plan from its JSON form; raise PlanFormatError naming the faulty field."""
    reader = JsonReader(PlanFormatError, "plan")
    doc = reader.load(source)
    version = reader.integer(reader.member(doc, "version", ""), "version")
    if version != PLAN_VERSION:
        reader.fail("version", f"unsupported version {version}; this reader knows {PLAN_VERSION}")
    run_type_text = reader.text(reader.member(doc, "run_type", ""), "run_type")
    if run_type_text not in {kind.value for kind in RunType}:
        reader.fail("run_type", f"expected one of {', '.join(RunType)}, got {run_type_text!r}")
    plan = Plan(
        portfolio=reader.text(reader.member(doc, "portfolio", ""), "portfolio"),
        run_type=RunType(run_type_text),
        orders=tuple(
            _order(reader, item, child("orders", index))
            for index, item in enumerate(reader.array(reader.member(doc, "orders", ""), "orders"))
        ),
        transfers=tuple(
            _transfer(reader, item, child("transfers", index))
            for index, item in enumerate(
                reader.array(reader.member(doc, "transfers", ""), "transfers")
            )
        ),
        estimated_cost=reader.decimal(
            reader.member(doc, "estimated_cost", ""), "estimated_cost", minimum=ZERO
        ),
        weights_before=_weights(reader, doc, "weights_before"),
        weights_after=_weights(reader, doc, "weights_after"),
        residuals=tuple(
            _residual(reader, item, child("residuals", index))
            for index, item in enumerate(
                reader.array(reader.member(doc, "residuals", ""), "residuals")
            )
        ),
        version=version,
        amount=(
            reader.decimal(doc["amount"], "amount", positive=True) if "amount" in doc else None
        ),
    )
    _check_graph(reader, plan)
    return plan


def _check_graph(reader: JsonReader, plan: Plan) -> None:
    """Node ids are unique and every dependency names another node of the plan."""
    nodes: list[tuple[str, int, PlannedOrder | PlannedTransfer]]
    nodes = [("orders", index, node) for index, node in enumerate(plan.orders)]
    nodes += [("transfers", index, node) for index, node in enumerate(plan.transfers)]
    seen: set[str] = set()
    for kind, index, node in nodes:
        if node.id in seen:
            reader.fail(child(child(kind, index), "id"), f"duplicate node id {node.id!r}")
        seen.add(node.id)
    for kind, index, node in nodes:
        where = child(child(kind, index), "depends_on")
        for position, dependency in enumerate(node.depends_on):
            if dependency not in seen or dependency == node.id:
                reader.fail(child(where, position), f"no other node {dependency!r} in this plan")


def _order_doc(order: PlannedOrder) -> dict[str, Any]:
    return {
        "id": order.id,
        "venue": order.venue,
        "symbol": order.symbol,
        "side": order.side.value,
        "amount": format_decimal(order.amount),
        "price": format_decimal(order.price),
        "depends_on": list(order.depends_on),
    }


def _transfer_doc(transfer: PlannedTransfer) -> dict[str, Any]:
    return {
        "id": transfer.id,
        "asset": transfer.asset,
        "network": transfer.network,
        "from": transfer.source,
        "to": transfer.destination,
        "amount": format_decimal(transfer.amount),
        "depends_on": list(transfer.depends_on),
        **({"purpose": transfer.purpose} if transfer.purpose else {}),
    }


def _residual_doc(residual: Residual) -> dict[str, str]:
    return {
        "asset": residual.asset,
        "venue": residual.venue,
        "reason": residual.reason,
        "amount": format_decimal(residual.amount),
    }


def _weights_doc(weights: Mapping[str, Decimal]) -> dict[str, str]:
    return {asset: display_weight(weights[asset]) for asset in sorted(weights)}


def _field(reader: JsonReader, doc: Mapping[str, Any], key: str, path: str) -> str:
    return reader.text(reader.member(doc, key, path), child(path, key))


def _depends_on(reader: JsonReader, doc: Mapping[str, Any], path: str) -> tuple[str, ...]:
    where = child(path, "depends_on")
    items = reader.array(reader.member(doc, "depends_on", path), where)
    return tuple(reader.text(item, child(where, index)) for index, item in enumerate(items))


def _order(reader: JsonReader, item: object, path: str) -> PlannedOrder:
    doc = reader.obj(item, path)
    side = _field(reader, doc, "side", path)
    if side not in {"buy", "sell"}:
        reader.fail(child(path, "side"), f"expected buy or sell, got {side!r}")
    return PlannedOrder(
        id=_field(reader, doc, "id", path),
        venue=_field(reader, doc, "venue", path),
        symbol=_field(reader, doc, "symbol", path),
        side=OrderSide(side),
        amount=reader.decimal(
            reader.member(doc, "amount", path), child(path, "amount"), positive=True
        ),
        price=reader.decimal(
            reader.member(doc, "price", path), child(path, "price"), positive=True
        ),
        depends_on=_depends_on(reader, doc, path),
    )


def _transfer(reader: JsonReader, item: object, path: str) -> PlannedTransfer:
    doc = reader.obj(item, path)
    return PlannedTransfer(
        id=_field(reader, doc, "id", path),
        asset=_field(reader, doc, "asset", path),
        network=_field(reader, doc, "network", path),
        source=_field(reader, doc, "from", path),
        destination=_field(reader, doc, "to", path),
        amount=reader.decimal(
            reader.member(doc, "amount", path), child(path, "amount"), positive=True
        ),
        depends_on=_depends_on(reader, doc, path),
        purpose=_optional_text(reader, doc, "purpose", path),
    )


def _optional_text(reader: JsonReader, doc: Mapping[str, Any], key: str, path: str) -> str:
    """A text member that may be missing (plans written before it existed): "" then."""
    return reader.text(doc[key], child(path, key)) if key in doc else ""


def _residual(reader: JsonReader, item: object, path: str) -> Residual:
    doc = reader.obj(item, path)
    return Residual(
        asset=_field(reader, doc, "asset", path),
        venue=reader.string(reader.member(doc, "venue", path), child(path, "venue")),
        reason=reader.string(reader.member(doc, "reason", path), child(path, "reason")),
        amount=reader.decimal(reader.member(doc, "amount", path), child(path, "amount")),
    )


def _weights(reader: JsonReader, doc: Mapping[str, Any], key: str) -> dict[str, Decimal]:
    weights = reader.obj(reader.member(doc, key, ""), key)
    return {
        reader.text(asset, key): reader.decimal(value, child(key, asset), minimum=ZERO)
        for asset, value in sorted(weights.items())
    }
