"""The ``@depth`` diff stream's published books and what ``GET /api/v3/depth`` reports.

Binance numbers every book change with an update id: a diff event covers ids ``U`` to ``u``,
and a REST snapshot says which id it shows (``lastUpdateId``). A client that streams diffs
buffers them, fetches a snapshot and applies the buffered diffs that follow it; its book gets
the event time of the first diff applied. On a real exchange the snapshot is already older
than a diff the client has buffered by the time the reply arrives (the reply takes longer
than the next push), so the first book a client builds carries that diff's time.

On loopback the reply is instant, so the simulator reproduces the order explicitly: a market
someone streams diffs of is published (one diff to every subscriber) as soon as a new diff
subscription is acknowledged, and a snapshot of such a market shows the book as of the diff
*before* the latest one. A market nobody streams is published silently when a snapshot is
asked for, so a plain REST client always sees the current book.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

Side = dict[Decimal, Decimal]


@dataclass(frozen=True, slots=True)
class Published:
    """One published version of a book: its update id and its levels (price -> quantity)."""

    update_id: int
    bids: Side
    asks: Side


@dataclass(frozen=True, slots=True)
class Diff:
    """The change from one published version to the next."""

    update_id: int
    bids: list[tuple[Decimal, Decimal]]
    asks: list[tuple[Decimal, Decimal]]


class DepthLog:
    """Per market: the latest published book and the one before it.

    ``live`` reads a market's book now; ``streamed`` says whether anyone streams its diffs.
    """

    def __init__(
        self,
        live: Callable[[str], tuple[Side, Side]],
        streamed: Callable[[str], bool] = lambda symbol: False,
    ) -> None:
        self._live = live
        self.streamed = streamed
        self._latest: dict[str, Published] = {}
        self._previous: dict[str, Published] = {}

    def latest_id(self, symbol: str) -> int:
        """The update id of the latest published version (what partial-book streams report)."""
        return self._current(symbol).update_id

    def publish(self, symbol: str) -> Diff:
        """Publish the live book as the next version and return the diff to push."""
        old = self._current(symbol)
        bids, asks = self._live(symbol)
        new = Published(old.update_id + 1, bids, asks)
        self._previous[symbol] = old
        self._latest[symbol] = new
        return Diff(new.update_id, _changes(old.bids, bids), _changes(old.asks, asks))

    def snapshot(self, symbol: str) -> Published:
        """What a REST snapshot shows: one version behind for a streamed market, else current."""
        if self.streamed(symbol):
            return self._previous.get(symbol) or self._current(symbol)
        current = self._current(symbol)
        bids, asks = self._live(symbol)
        if (bids, asks) != (current.bids, current.asks):
            self.publish(symbol)
        return self._current(symbol)

    def _current(self, symbol: str) -> Published:
        if symbol not in self._latest:
            bids, asks = self._live(symbol)
            self._latest[symbol] = Published(1, bids, asks)
        return self._latest[symbol]


def _changes(old: Side, new: Side) -> list[tuple[Decimal, Decimal]]:
    """Levels whose quantity changed, then levels gone (quantity zero)."""
    changed = [(p, q) for p, q in new.items() if old.get(p) != q]
    gone = [(p, Decimal(0)) for p in old if p not in new]
    return changed + gone
