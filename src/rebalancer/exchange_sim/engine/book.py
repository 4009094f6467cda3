"""A synthetic order book of several levels around a mid price, consumed by taker orders.

The book is rebuilt whenever the mid moves. Between moves, liquidity a taker consumed stays
consumed, so an order bigger than the depth fills partially and the next order sees the thinner
book. Prices are on the market's tick (bids rounded down, asks up), sizes on its lot step.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rebalancer.domain.market import Market, OrderSide, Rounding, round_to_step
from rebalancer.domain.money import ZERO, to_decimal

BPS = Decimal("0.0001")
HALF_BPS = BPS / 2  # half the spread on each side of the mid
UNLIMITED = Decimal("Infinity")  # the quantity of a level in a book of unlimited depth


@dataclass(frozen=True, slots=True)
class BookShape:
    """How the book looks around the mid.

    ``spread_bps`` is the full bid-ask spread; level ``i`` sits ``i * level_gap_bps`` further out;
    each level holds ``level_notional`` of the quote asset (so depth scales across assets).
    ``unlimited_depth`` gives every level an endless quantity instead: a backtest on bar data
    fills any size at the touch (it has no order books to say how deep they were).
    ``market_data`` keeps each market's ticker statistics and minute candles, which only the
    exchange front ends serve; a backtest, which has none, turns it off.
    """

    spread_bps: Decimal = Decimal("2")
    levels: int = 10
    level_gap_bps: Decimal = Decimal("1")
    level_notional: Decimal = Decimal("50000")
    unlimited_depth: bool = False
    market_data: bool = True

    def __post_init__(self) -> None:
        if self.spread_bps < 0:
            raise ValueError("book.spread_bps: must not be negative")
        if self.levels < 1:
            raise ValueError("book.levels: must be at least 1")
        if self.level_gap_bps < 0 or self.level_notional <= 0:
            raise ValueError("book.level_gap_bps/level_notional: must be positive")

    @classmethod
    def from_mapping(cls, raw: dict[str, object]) -> BookShape:
        """Build a shape from config keys of the same names (decimal strings or ints)."""
        levels = raw.get("levels", 10)
        if not isinstance(levels, int):
            raise ValueError(f"book.levels: expected an integer, got {levels!r}")
        return cls(
            spread_bps=to_decimal(raw.get("spread_bps", "2"), what="book.spread_bps"),
            levels=levels,
            level_gap_bps=to_decimal(raw.get("level_gap_bps", "1"), what="book.level_gap_bps"),
            level_notional=to_decimal(
                raw.get("level_notional", "50000"), what="book.level_notional"
            ),
        )


@dataclass(slots=True)
class Level:
    """One price level and the base quantity left on it."""

    price: Decimal
    quantity: Decimal


class Book:
    """Bids and asks for one market; ``take`` consumes liquidity as a taker would."""

    def __init__(self, market: Market, shape: BookShape) -> None:
        self.market = market
        self.shape = shape
        self.mid = ZERO
        self.bids: list[Level] = []
        self.asks: list[Level] = []
        self.version = 0

    def set_mid(self, mid: Decimal, spread_bps: Decimal | None = None) -> None:
        """Move the book to a new mid and refill every level.

        ``spread_bps`` overrides the shape's spread for this book until the next move (a
        backtest's spread model changes it bar by bar).
        """
        self.mid = mid
        self.version += 1
        tick = self.market.price_tick
        spread = self.shape.spread_bps if spread_bps is None else spread_bps
        half = mid * spread * HALF_BPS
        if tick > 0:
            best_bid = round_to_step(mid - half, tick, Rounding.DOWN)
            best_ask = round_to_step(mid + half, tick, Rounding.UP)
            if best_ask <= best_bid:
                best_ask = best_bid + tick
        else:
            best_bid, best_ask = mid - half, mid + half
        if self.shape.levels == 1:  # the top of the book only (bar data): no levels to space
            self.bids = [self._level(best_bid)] if best_bid > 0 else []
            self.asks = [self._level(best_ask)]
            return
        gap = self.shape.level_gap_bps * BPS
        self.bids = [
            self._level(round_to_step(best_bid * (1 - gap * i), tick, Rounding.DOWN))
            for i in range(self.shape.levels)
        ]
        self.asks = [
            self._level(round_to_step(best_ask * (1 + gap * i), tick, Rounding.UP))
            for i in range(self.shape.levels)
        ]
        self.bids = [lv for lv in self.bids if lv.price > 0]

    def _level(self, price: Decimal) -> Level:
        if price <= 0:
            return Level(price, ZERO)
        if self.shape.unlimited_depth:
            return Level(price, UNLIMITED)
        qty = round_to_step(
            self.shape.level_notional / price, self.market.amount_step, Rounding.DOWN
        )
        return Level(price, qty)

    @property
    def best_bid(self) -> Level | None:
        """The highest bid with quantity left."""
        return next((lv for lv in self.bids if lv.quantity > 0), None)

    @property
    def best_ask(self) -> Level | None:
        """The lowest ask with quantity left."""
        return next((lv for lv in self.asks if lv.quantity > 0), None)

    def depth(self, limit: int) -> tuple[list[Level], list[Level]]:
        """The first ``limit`` non-empty levels of each side (copies)."""
        bids = [Level(lv.price, lv.quantity) for lv in self.bids if lv.quantity > 0][:limit]
        asks = [Level(lv.price, lv.quantity) for lv in self.asks if lv.quantity > 0][:limit]
        return bids, asks

    def take(
        self,
        side: OrderSide,
        *,
        amount: Decimal | None = None,
        quote_amount: Decimal | None = None,
        limit_price: Decimal | None = None,
        dry_run: bool = False,
    ) -> list[tuple[Decimal, Decimal]]:
        """Consume liquidity for a taker ``side`` order; return the fills as (price, amount).

        A buy lifts asks, a sell hits bids, best first, never past ``limit_price``. The order is
        sized by ``amount`` (base) or ``quote_amount`` (quote to spend, base rounded down to the
        step at each level). With ``dry_run`` the book is left untouched.
        """
        levels = self.asks if side is OrderSide.BUY else self.bids
        fills: list[tuple[Decimal, Decimal]] = []
        left_base = amount
        left_quote = quote_amount
        for level in levels:
            if level.quantity <= 0:
                continue
            if limit_price is not None and not _within(side, level.price, limit_price):
                break
            take = level.quantity
            if left_base is not None:
                take = min(take, left_base)
            if left_quote is not None:
                affordable = round_to_step(
                    left_quote / level.price, self.market.amount_step, Rounding.DOWN
                )
                take = min(take, affordable)
            if take <= 0:
                break
            fills.append((level.price, take))
            if not dry_run:
                level.quantity -= take
            if left_base is not None:
                left_base -= take
            if left_quote is not None:
                left_quote -= take * level.price
        return fills


def _within(side: OrderSide, level_price: Decimal, limit_price: Decimal) -> bool:
    return level_price <= limit_price if side is OrderSide.BUY else level_price >= limit_price
