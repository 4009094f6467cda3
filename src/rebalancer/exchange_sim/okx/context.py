"""What every OKX handler needs: the engine venue, the clocks and OKX-only order details."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rebalancer.exchange_sim.engine.book import Level
from rebalancer.exchange_sim.engine.engine import Engine
from rebalancer.exchange_sim.engine.orders import Order
from rebalancer.exchange_sim.engine.venue import Venue
from rebalancer.exchange_sim.okx import errors
from rebalancer.exchange_sim.okx.auth import OkxCredentials
from rebalancer.exchange_sim.okx.errors import OkxRejection
from rebalancer.exchange_sim.okx.payloads import OrderMeta


def wall_clock() -> datetime:
    """The real UTC time: ccxt signs with it, so the skew check must use it too."""
    return datetime.now(UTC)


@dataclass(slots=True)
class OkxContext:
    """One OKX-protocol venue of an engine as the handlers see it.

    ``clock`` is the real time the signature skew is checked against (ccxt signs with real
    time even when the engine runs on a manual clock).
    """

    engine: Engine
    venue_name: str
    clock: Callable[[], datetime] = wall_clock
    listed_ms: int = 1_600_000_000_000
    metas: dict[int, OrderMeta] = field(default_factory=dict)

    @property
    def venue(self) -> Venue:
        """The engine venue this front-end serves."""
        return self.engine.venue(self.venue_name)

    def now_ms(self) -> int:
        """The engine's time in epoch milliseconds (what timestamps in answers show)."""
        return self.engine.now_ms()

    def lookup(self, api_key: str) -> OkxCredentials | None:
        """The credentials of an API key registered on the venue (OKX keys need a passphrase)."""
        account = self.venue.accounts.get(api_key)
        if account is None or account.passphrase is None:
            return None
        return OkxCredentials(
            api_key=account.api_key,
            secret=account.secret,
            passphrase=account.passphrase,
            account=account.api_key,
        )

    def meta(self, order: Order) -> OrderMeta:
        """The OKX request details of an order (defaults for orders placed another way)."""
        return self.metas.get(order.id, OrderMeta())

    def top(self, symbol: str, depth: int) -> tuple[list[Level], list[Level]]:
        """The first ``depth`` levels of a market's book, or 51001 for an unknown market."""
        book = self.venue.books.get(symbol)
        if book is None:
            raise OkxRejection(errors.INSTRUMENT_UNKNOWN)
        return book.depth(depth)
