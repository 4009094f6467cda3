"""Rolling ticker statistics of one market: open, high, low, last and traded volume."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rebalancer.domain.money import ZERO


@dataclass(slots=True)
class TickerStats:
    """Statistics since the venue started (the simulator's "24 hours")."""

    open: Decimal = ZERO
    high: Decimal = ZERO
    low: Decimal = ZERO
    last: Decimal = ZERO
    volume: Decimal = ZERO
    quote_volume: Decimal = ZERO
    trade_count: int = 0
    opened_ms: int = 0
    updated_ms: int = 0

    def observe_price(self, price: Decimal, now_ms: int) -> None:
        """Record a new mid as the last price."""
        if self.open == 0:
            self.open, self.high, self.low, self.opened_ms = price, price, price, now_ms
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.last = price
        self.updated_ms = now_ms

    def observe_trade(self, price: Decimal, amount: Decimal, now_ms: int) -> None:
        """Add a trade to the volume."""
        self.volume += amount
        self.quote_volume += price * amount
        self.trade_count += 1
        self.updated_ms = now_ms
