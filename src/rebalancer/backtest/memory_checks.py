"""The rules the in-memory journal checks records against, as the state database does.

Identity fields never change, times are timezone-aware, amounts are finite Decimals, enums
are valid members, plan JSON names its nodes, and event payloads read back exactly as JSON
text would give them. Each problem raises ``InvalidValue`` naming the field.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.market import OrderSide
from rebalancer.domain.records import (
    NodeKind,
    OrderIntentState,
    OrderRecord,
    PlanNodeRecord,
    TransferRecord,
    TransferState,
)

R = TypeVar("R")
E = TypeVar("E", bound=enum.Enum)


def checked_limit(limit: int) -> int:
    """A listing limit: a whole number of at least 1."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidValue(f"limit: expected a whole number of at least 1, got {limit!r}")
    return limit


def require_positive(value: object, what: str) -> None:
    """Refuse anything but a whole number of at least 1 (rounds and attempts)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidValue(f"{what}: expected a whole number of at least 1, got {value!r}")


def require_aware(value: object, what: str) -> datetime:
    """A timezone-aware datetime; a naive one is refused (its instant is unknown)."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidValue(f"{what}: expected a timezone-aware datetime, got {value!r}")
    return value


def checked_order(order: OrderRecord) -> OrderRecord:
    """``order`` with its enums as members, its times aware and its amounts finite."""
    what = f"order {order.client_order_id}"
    state = checked_member(OrderIntentState, order.state, f"{what}.state")
    side = checked_member(OrderSide, order.side, f"{what}.side")
    if state is not order.state or side is not order.side:
        order = dataclasses.replace(order, state=state, side=side)
    require_aware(order.created_at, f"{what}.created_at")
    require_aware(order.updated_at, f"{what}.updated_at")
    for name in ("amount", "filled"):
        require_decimal(getattr(order, name), f"{what}.{name}")
    for name in ("limit_price", "average_price", "fee"):
        if getattr(order, name) is not None:
            require_decimal(getattr(order, name), f"{what}.{name}")
    return order


def checked_transfer(transfer: TransferRecord) -> TransferRecord:
    """``transfer`` with its state a member, its times aware and its amounts finite."""
    what = f"transfer {transfer.id}"
    state = checked_member(TransferState, transfer.state, f"{what}.state")
    if state is not transfer.state:
        transfer = dataclasses.replace(transfer, state=state)
    for name in ("created_at", "updated_at"):
        require_aware(getattr(transfer, name), f"{what}.{name}")
    for name in ("arrived_at", "deadline"):
        if getattr(transfer, name) is not None:
            require_aware(getattr(transfer, name), f"{what}.{name}")
    require_decimal(transfer.amount, f"{what}.amount")
    if transfer.fee is not None:
        require_decimal(transfer.fee, f"{what}.fee")
    return transfer


def checked_member(kind: type[E], value: object, what: str) -> E:
    """``value`` as a member of ``kind``, or InvalidValue naming ``what`` and the choices."""
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(str(member.value) for member in kind)
        raise InvalidValue(f"{what}: expected one of {choices}, got {value!r}") from None


def require_decimal(value: object, what: str) -> None:
    """Refuse anything but a finite Decimal."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidValue(f"{what}: expected a finite Decimal, got {value!r}")


def same_identity(stored: Any, record: Any, identity: Iterable[str], what: str) -> None:
    """Refuse a change of any identity field (naming them)."""
    changed = [name for name in identity if getattr(stored, name) != getattr(record, name)]
    if changed:
        raise InvalidValue(f"{what}: cannot change {', '.join(changed)}")


def with_changes(record: R, changes: Mapping[str, object], fixed: Iterable[str], what: str) -> R:
    """``record`` with ``changes``; unknown or fixed field names are refused."""
    fixed_names = set(fixed)
    names = {f.name for f in dataclasses.fields(record)}  # type: ignore[arg-type]
    wrong = sorted(name for name in changes if name not in names or name in fixed_names)
    if wrong:
        allowed = ", ".join(sorted(names - fixed_names))
        raise InvalidValue(f"{what}: cannot change {', '.join(wrong)} (changeable: {allowed})")
    return dataclasses.replace(record, **changes)  # type: ignore[type-var]


def json_of(text: str, what: str) -> Any:
    """Parse JSON text, naming ``what`` when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidValue(f"{what}: not valid JSON ({error})") from None


def plan_nodes(run_id: str, round_: int, plan: Any) -> tuple[PlanNodeRecord, ...]:
    """The nodes of a plan (orders, then transfers) with their dependencies."""
    if not isinstance(plan, dict):
        raise InvalidValue("plan_json: expected a JSON object")
    nodes: list[PlanNodeRecord] = []
    seen: set[str] = set()
    for key, kind in (("orders", NodeKind.ORDER), ("transfers", NodeKind.TRANSFER)):
        for index, node in enumerate(plan.get(key, [])):
            where = f"plan_json.{key}[{index}]"
            if not isinstance(node, dict) or not isinstance(node.get("id"), str):
                raise InvalidValue(f"{where}.id: expected a string node id")
            if node["id"] in seen:
                raise InvalidValue(f"plan_json: node id {node['id']!r} appears twice")
            seen.add(node["id"])
            depends_on = node.get("depends_on", [])
            if not isinstance(depends_on, list) or not all(isinstance(d, str) for d in depends_on):
                raise InvalidValue(f"{where}.depends_on: expected a list of node ids")
            nodes.append(PlanNodeRecord(run_id, round_, node["id"], kind, tuple(depends_on)))
    return tuple(nodes)


# stored exactly as they are (the exact types: a str or int enum is stored as its value)
_AS_IS = frozenset({str, int, bool, type(None)})


def as_stored(value: Any, what: str) -> Any:
    """``value`` as the database returns it after storing it as JSON text.

    The same as writing it as JSON and reading it back (keys sorted, Decimals as exact
    strings, times in ISO form, enums as values, tuples and sets as lists, floats refused),
    without writing the text: events are many in a backtest.
    """
    if isinstance(value, dict):
        stored = {}
        for key in sorted(value):
            item = value[key]  # a plain item as it is, without naming its place
            stored[str(key)] = item if type(item) in _AS_IS else as_stored(item, f"{what}.{key}")
        return stored
    if isinstance(value, (list, tuple, set, frozenset)):
        return [
            item if type(item) in _AS_IS else as_stored(item, f"{what}[{index}]")
            for index, item in enumerate(value)
        ]
    if isinstance(value, float):
        raise InvalidValue(f"{what}: floats are not stored; use a decimal string or Decimal")
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, (str, int, bool)):
        return value
    try:
        return json_value(value)
    except (TypeError, ValueError) as error:
        raise InvalidValue(f"{what}: cannot be stored as JSON ({error})") from None


def json_value(value: object) -> object:
    """A non-JSON value as the database stores it (Decimal, datetime, enum, tuple, set)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot store {value!r}: only finite decimals")
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")
