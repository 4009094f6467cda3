"""Runs as JSON documents: what ``rebalancer runs --json`` prints and the HTTP API serves.

Amounts are exact decimal strings, times ISO 8601 UTC, plans as the planner writes them. Fees
are also totalled in the run's quote asset (``fees_in_quote_of``).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from rebalancer.codecs.snapshot_json import parse_snapshot
from rebalancer.domain.errors import SnapshotError
from rebalancer.domain.money import format_decimal
from rebalancer.domain.records import EventRecord, OrderRecord, RunRecord, TransferRecord
from rebalancer.services.narration import fees_paid, spent
from rebalancer.services.run_history import RunHistory
from rebalancer.services.run_outcome import run_fees_in_quote


def fees_in_quote_of(history: RunHistory) -> tuple[str | None, Decimal, tuple[str, ...]]:
    """The run's quote asset, every fee in it, and the assets whose fees had no price.

    Fees in another asset than the fill's are valued at the mids of the run's last snapshot.
    """
    quote, prices = _quote_and_prices(history)
    if quote is None:
        return None, Decimal(0), tuple(sorted(fees_paid_assets(history)))
    total, missing = run_fees_in_quote(history.orders, history.transfers, quote, prices)
    return quote, total, missing


def fees_paid_assets(history: RunHistory) -> set[str]:
    """Every asset a fee of the run was charged in."""
    return set(fees_paid(history.orders, history.transfers))


def _quote_and_prices(history: RunHistory) -> tuple[str | None, dict[str, Decimal]]:
    """The quote asset (from the orders, else the snapshot) and each asset's mid in it."""
    quote = next((o.symbol.partition("/")[2] for o in history.orders), None)
    if not history.rounds:
        return quote, {}
    try:
        snapshot = parse_snapshot(history.rounds[-1].snapshot_json)
    except SnapshotError:
        return quote, {}
    symbols = [s for v in snapshot.venues.values() for s in v.markets]
    if quote is None and symbols:
        quote = symbols[0].partition("/")[2]
    prices: dict[str, Decimal] = {}
    for venue in snapshot.venues.values():
        for symbol, listed in venue.markets.items():
            base, _, market_quote = symbol.partition("/")
            if market_quote == quote:
                prices.setdefault(base, listed.quote.mid)
    return quote, prices


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format_decimal(value)
    return str(value)


def run_doc(run: RunRecord) -> dict[str, Any]:
    """One run as JSON (amounts as decimal strings)."""
    return {
        "id": run.id,
        "portfolio": run.portfolio,
        "run_type": run.run_type.value,
        "trigger": run.trigger.value,
        "status": run.status.value,
        "reason": run.reason,
        "rounds": run.rounds,
        "amount": _text(run.amount),
        "venue": run.venue,
        "partial": run.partial,
        "created_at": run.created_at.isoformat(),
        "updated_at": run.updated_at.isoformat(),
    }


def _order_doc(order: OrderRecord) -> dict[str, Any]:
    return {
        "client_order_id": order.client_order_id,
        "round": order.round,
        "node_id": order.node_id,
        "attempt": order.attempt,
        "venue": order.venue,
        "symbol": order.symbol,
        "side": order.side.value,
        "amount": _text(order.amount),
        "state": order.state.value,
        "filled": _text(order.filled),
        "average_price": _text(order.average_price),
        "fee": _text(order.fee),
        "fee_asset": order.fee_asset,
        "exchange_order_id": order.exchange_order_id,
        "reason": order.reason,
    }


def _transfer_doc(transfer: TransferRecord) -> dict[str, Any]:
    return {
        "id": transfer.id,
        "node_id": transfer.node_id,
        "asset": transfer.asset,
        "network": transfer.network,
        "from": transfer.source,
        "to": transfer.destination,
        "amount": _text(transfer.amount),
        "fee": _text(transfer.fee),
        "state": transfer.state.value,
        "withdrawal_id": transfer.withdrawal_id,
        "arrived_at": transfer.arrived_at.isoformat() if transfer.arrived_at else None,
        "reason": transfer.reason,
    }


def _event_doc(event: EventRecord) -> dict[str, Any]:
    return {"at": event.at.isoformat(), "kind": event.kind, "payload": dict(event.payload)}


def history_doc(history: RunHistory) -> dict[str, Any]:
    """One run's whole history as JSON."""
    notional, fees = spent(history.orders), fees_paid(history.orders, history.transfers)
    quote, in_quote, missing = fees_in_quote_of(history)
    return {
        "version": 1,
        "run": run_doc(history.run),
        "trigger_reason": history.trigger_reason,
        "rounds": [
            {
                "round": saved.round,
                "created_at": saved.created_at.isoformat(),
                "plan": json.loads(saved.plan_json),
            }
            for saved in history.rounds
        ],
        "orders": [_order_doc(o) for o in history.orders],
        "transfers": [_transfer_doc(t) for t in history.transfers],
        "traded_notional": _text(notional),
        "fees": {asset: _text(value) for asset, value in sorted(fees.items())},
        "quote": quote,
        "fees_in_quote": _text(in_quote) if quote else None,
        "fees_not_converted": list(missing),
        "events": [_event_doc(e) for e in history.events],
    }
