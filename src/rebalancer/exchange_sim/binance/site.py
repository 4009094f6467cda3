"""What every Binance handler shares: the venue, its symbol ids and request parsing helpers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from rebalancer.domain.money import to_decimal
from rebalancer.exchange_sim.binance.codes import BinanceError
from rebalancer.exchange_sim.binance.depth import DepthLog
from rebalancer.exchange_sim.binance.payloads import symbol_id
from rebalancer.exchange_sim.engine import Engine, Venue
from rebalancer.exchange_sim.frontend import VenueContext


def missing(name: str) -> BinanceError:
    """-1102 naming the parameter, in Binance's words."""
    return BinanceError(
        (400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")
    )


def illegal(name: str) -> BinanceError:
    """-1100 naming the parameter whose value is not a number."""
    return BinanceError((400, -1100, f"Illegal characters found in parameter '{name}'."))


MAX_LEVELS = 5000
INVALID_SYMBOL = BinanceError((400, -1121, "Invalid symbol."))


class BinanceSite:
    """One Binance-protocol venue as its handlers see it."""

    def __init__(self, context: VenueContext) -> None:
        self.context = context
        self.engine: Engine = context.engine
        self.venue: Venue = context.engine.venue(context.venue)
        self.symbols = {symbol_id(s): s for s in self.venue.markets}
        # the @depth stream's published books: REST snapshots and the diffs continue each other
        self.depth = DepthLog(self.live_book)

    def live_book(self, symbol: str) -> tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]:
        """The book now, as {price: quantity} per side."""
        bids, asks = self.venue.books[symbol].depth(MAX_LEVELS)
        return {lv.price: lv.quantity for lv in bids}, {lv.price: lv.quantity for lv in asks}

    def now_ms(self) -> int:
        """The engine's clock in milliseconds."""
        return self.engine.now_ms()

    def symbol(self, params: dict[str, str], *, required: bool = True) -> str | None:
        """The unified symbol of the ``symbol`` parameter (-1102 if missing, -1121 if unknown)."""
        raw = params.get("symbol")
        if not raw:
            if required:
                raise missing("symbol")
            return None
        unified = self.symbols.get(raw.upper())
        if unified is None:
            raise INVALID_SYMBOL
        return unified

    @staticmethod
    def decimal(params: dict[str, str], name: str) -> Decimal | None:
        """A decimal parameter, or None when absent (-1100 naming it when malformed)."""
        raw = params.get(name)
        if raw in (None, ""):
            return None
        try:
            return to_decimal(raw, what=name)
        except ValueError:
            raise illegal(name) from None

    @staticmethod
    def integer(params: dict[str, str], name: str) -> int | None:
        """An integer parameter, or None when absent (-1100 naming it when malformed)."""
        raw = params.get(name)
        if raw in (None, ""):
            return None
        try:
            return int(str(raw))
        except ValueError:
            raise illegal(name) from None


def json_reply(body: Any) -> web.Response:
    """A 200 JSON reply."""
    return web.json_response(body)
