"""Order-book pushes for the ``books`` channel: a snapshot, then sequenced incremental updates.

Each push carries ``seqId`` and ``prevSeqId`` (the previous push's ``seqId``; -1 on the
snapshot); ccxt checks that they chain and raises when one is missing. An update lists only the
levels that changed since the last push, with size "0" for a level that is gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from rebalancer.exchange_sim.engine.book import Level
from rebalancer.exchange_sim.okx.payloads import Json
from rebalancer.exchange_sim.okx.wire import ms, num

BOOKS_DEPTH = 400


@dataclass(slots=True)
class BookFeed:
    """What one connection was last sent for one market's ``books`` subscription."""

    seq: int = 0
    bids: dict[Decimal, Decimal] = field(default_factory=dict)
    asks: dict[Decimal, Decimal] = field(default_factory=dict)
    started: bool = False

    def next_push(
        self, bids: list[Level], asks: list[Level], now_ms: int
    ) -> tuple[str, Json] | None:
        """The ``(action, data)`` to send for the book as it is now, or None if unchanged."""
        new_bids = {lv.price: lv.quantity for lv in bids}
        new_asks = {lv.price: lv.quantity for lv in asks}
        if not self.started:
            action, bid_rows, ask_rows, prev = "snapshot", new_bids, new_asks, -1
        else:
            bid_rows, ask_rows = _diff(self.bids, new_bids), _diff(self.asks, new_asks)
            if not bid_rows and not ask_rows:
                return None
            action, prev = "update", self.seq
        self.started = True
        self.seq += 1
        self.bids, self.asks = new_bids, new_asks
        data: Json = {
            "asks": _rows(ask_rows, descending=False),
            "bids": _rows(bid_rows, descending=True),
            "ts": ms(now_ms),
            "checksum": 0,
            "prevSeqId": prev,
            "seqId": self.seq,
        }
        return action, data


def _diff(old: dict[Decimal, Decimal], new: dict[Decimal, Decimal]) -> dict[Decimal, Decimal]:
    changed = {price: qty for price, qty in new.items() if old.get(price) != qty}
    changed.update({price: Decimal(0) for price in old if price not in new})
    return changed


def _rows(levels: dict[Decimal, Decimal], *, descending: bool) -> list[list[str]]:
    prices = sorted(levels, reverse=descending)
    return [[num(p), num(levels[p]) if levels[p] else "0", "0", "1"] for p in prices]
