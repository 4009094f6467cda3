"""The control plane's Python API: what tests (and the HTTP control API) do to the simulator.

Set or script prices, credit deposits, complete or fail withdrawals, inject faults per
endpoint, close websockets, end user data streams, silence streams, reset everything to the
config's starting state, and read the order and transfer logs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from rebalancer.domain.money import format_decimal
from rebalancer.exchange_sim.build import fund_accounts, price_path
from rebalancer.exchange_sim.config import SimulatorConfig
from rebalancer.exchange_sim.engine import (
    Deposit,
    Engine,
    Order,
    ScriptedPath,
    Withdrawal,
)
from rebalancer.exchange_sim.faults import Fault, FaultBook
from rebalancer.exchange_sim.frontend import Frontend, VenueContext

STREAM_KINDS = frozenset({"market", "user"})


class SimulatorControl:
    """Drive one running simulation (prices, funds, faults, streams) and inspect it."""

    def __init__(
        self,
        engine: Engine,
        config: SimulatorConfig,
        contexts: Mapping[str, VenueContext],
        frontends: Mapping[str, Frontend],
        faults: FaultBook,
    ) -> None:
        self.engine = engine
        self.config = config
        self.contexts = contexts
        self.frontends = frontends
        self.faults = faults

    # -- prices -------------------------------------------------------------------------------
    def set_price(self, symbol: str, price: Decimal, venue: str | None = None) -> list[str]:
        """Pin ``symbol``'s mid on one venue or every venue listing it; return the venues."""
        venues = self._venues_with(symbol, venue)
        for name in venues:
            self.engine.set_price(name, symbol, price)
        return venues

    def release_price(self, symbol: str, venue: str | None = None) -> None:
        """Let the price path drive ``symbol`` again."""
        for name in self._venues_with(symbol, venue):
            self.engine.unpin(name, symbol)

    def script_prices(self, steps: Iterable[tuple[float, Mapping[str, Decimal]]]) -> None:
        """Replace the price path with scripted steps (seconds from now → prices)."""
        self.engine.set_price_path(ScriptedPath([(at, dict(p)) for at, p in steps]))

    def _venues_with(self, symbol: str, venue: str | None) -> list[str]:
        names = [venue] if venue is not None else list(self.engine.venues)
        found = [n for n in names if symbol in self.engine.venue(n).markets]
        if not found:
            raise ValueError(f"symbol {symbol!r}: not listed on {venue or 'any venue'}")
        return found

    # -- funds --------------------------------------------------------------------------------
    def credit_deposit(
        self,
        venue: str,
        asset: str,
        amount: Decimal,
        api_key: str | None = None,
        network: str | None = None,
    ) -> Deposit:
        """Credit a deposit from outside to an account (the venue's first by default)."""
        key = api_key or next(iter(self.engine.venue(venue).accounts))
        return self.engine.credit_deposit(venue, key, asset, amount, network)

    def debit(self, venue: str, asset: str, amount: Decimal, api_key: str | None = None) -> Decimal:
        """Take ``amount`` off an account to outside (a person withdrawing by hand); return
        the free balance left."""
        key = api_key or next(iter(self.engine.venue(venue).accounts))
        return self.engine.debit_outside(venue, key, asset, amount)

    def complete_withdrawal(self, withdrawal_id: str) -> Withdrawal:
        """Finish a pending withdrawal now (it arrives if the address is a simulated one)."""
        return self.engine.complete_withdrawal(withdrawal_id)

    def fail_withdrawal(self, withdrawal_id: str) -> Withdrawal:
        """Fail a pending withdrawal; the amount goes back to the source account."""
        return self.engine.fail_withdrawal(withdrawal_id)

    # -- faults and streams -------------------------------------------------------------------
    def inject_fault(self, fault: Fault | Mapping[str, Any]) -> Fault:
        """Arm a fault ``{venue, path, method, status, body, delay_ms, drop, count, execute,
        late}``."""
        armed = fault if isinstance(fault, Fault) else Fault.from_mapping(fault)
        self.engine.venue(armed.venue)
        self.faults.add(armed)
        return armed

    def clear_faults(self, venue: str | None = None) -> None:
        """Disarm every fault (of one venue, or all)."""
        self.faults.clear(venue)

    async def close_websockets(self, venue: str | None = None) -> int:
        """Close every websocket (of one venue, or all); clients see code 1001."""
        return sum([await self.frontends[n].close_websockets() for n in self._names(venue)])

    async def end_user_streams(self, venue: str | None = None) -> int:
        """End every user data subscription (of one venue, or all)."""
        return sum([await self.frontends[n].end_user_streams() for n in self._names(venue)])

    def silence(self, venue: str, streams: Iterable[str], silent: bool = True) -> None:
        """Make a venue's ``market`` and/or ``user`` streams go quiet (or speak again)."""
        kinds = set(streams)
        unknown = kinds - STREAM_KINDS
        if unknown:
            raise ValueError(f"streams: unknown kind(s) {sorted(unknown)}; use market, user")
        context = self.contexts[self.engine.venue(venue).name]
        if silent:
            context.silent.update(kinds)
        else:
            context.silent.difference_update(kinds)

    def _names(self, venue: str | None) -> list[str]:
        return [self.engine.venue(venue).name] if venue is not None else list(self.frontends)

    # -- reset and logs -----------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the config's start: balances, no orders or transfers, faults, fresh prices."""
        for venue in self.engine.venues.values():
            venue.clear()
        self.engine.withdrawals.clear()
        self.engine.deposits.clear()
        for name, symbol in list(self.engine.pinned):
            self.engine.unpin(name, symbol)
        fund_accounts(self.engine, self.config)
        self.faults.clear()
        for context in self.contexts.values():
            context.silent.clear()
        self.engine.set_price_path(price_path(self.config))

    def order_log(self, venue: str | None = None) -> list[dict[str, Any]]:
        """Every order placed (oldest first) as JSON-ready dicts."""
        return [order_view(o, v) for v in self._names(venue) for o in self.engine.order_log(v)]

    def transfer_log(self) -> dict[str, list[dict[str, Any]]]:
        """Every withdrawal and deposit as JSON-ready dicts."""
        return {
            "withdrawals": [withdrawal_view(w) for w in self.engine.withdrawals.values()],
            "deposits": [deposit_view(d) for d in self.engine.deposits.values()],
        }

    def state(self) -> dict[str, Any]:
        """Balances and mids of every venue, as JSON-ready dicts."""
        venues = {}
        for name, venue in self.engine.venues.items():
            venues[name] = {
                "mids": {s: format_decimal(b.mid) for s, b in venue.books.items()},
                "accounts": {
                    key: {
                        asset: {"free": format_decimal(b.free), "locked": format_decimal(b.locked)}
                        for asset, b in sorted(account.balances.items())
                    }
                    for key, account in venue.accounts.items()
                },
                "open_orders": sum(1 for o in venue.orders.values() if o.state.is_open),
                "silent": sorted(self.contexts[name].silent),
            }
        return {"time_ms": self.engine.now_ms(), "venues": venues}


def order_view(order: Order, venue: str) -> dict[str, Any]:
    """An order as the control plane reports it."""
    return {
        "venue": venue,
        "id": order.id,
        "client_order_id": order.client_order_id,
        "account": order.account,
        "symbol": order.symbol,
        "side": order.side.value,
        "kind": order.kind.value,
        "time_in_force": order.time_in_force.value,
        "amount": format_decimal(order.amount),
        "price": format_decimal(order.price) if order.price is not None else None,
        "filled": format_decimal(order.filled),
        "cost": format_decimal(order.cost),
        "state": order.state.value,
        "created_ms": order.created_ms,  # when the venue accepted it (the engine's clock)
        "trades": [
            {
                "id": t.id,
                "price": format_decimal(t.price),
                "amount": format_decimal(t.amount),
                "fee": format_decimal(t.fee),
                "fee_asset": t.fee_asset,
                "maker": t.maker,
                "time_ms": t.time_ms,
            }
            for t in order.trades
        ],
    }


def withdrawal_view(w: Withdrawal) -> dict[str, Any]:
    """A withdrawal as the control plane reports it."""
    return {
        "id": w.id,
        "client_id": w.client_id,
        "venue": w.venue,
        "account": w.account,
        "asset": w.asset,
        "network": w.network,
        "address": w.address,
        "amount": format_decimal(w.amount),
        "fee": format_decimal(w.fee),
        "state": w.state.value,
        "history": [[state.value, at] for state, at in w.history],
        "destination_venue": w.destination.venue if w.destination else None,
        "deposit_id": w.deposit_id,
    }


def deposit_view(d: Deposit) -> dict[str, Any]:
    """A deposit as the control plane reports it."""
    return {
        "id": d.id,
        "venue": d.venue,
        "account": d.account,
        "asset": d.asset,
        "network": d.network,
        "amount": format_decimal(d.amount),
        "state": d.state.value,
        "withdrawal_id": d.withdrawal_id,
    }
