"""The seams between services and the outside world, as ``typing.Protocol``s.

Services see only these; ``rebalancer.runtime`` (the one composition root) builds the concrete
adapters (ccxt venues, SQLAlchemy store, alert sinks, the system clock).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from rebalancer.domain.market import Market
from rebalancer.domain.orders import Balance, OrderReport, SubmitOrder
from rebalancer.domain.quotes import Quote
from rebalancer.domain.transfers import DepositAddress, TransferReport, WithdrawRequest


class Clock(Protocol):
    """The source of "now" (UTC, timezone-aware). Tests pass a fixed or stepped clock."""

    def now(self) -> datetime:
        """Return the current time."""
        ...


class VenueGateway(Protocol):
    """One exchange account, as the daemon uses it.

    Errors are raised from ``rebalancer.domain.errors``: ``RetryableVenueError``,
    ``OrderRejected``, ``AmbiguousOrderOutcome``, ``AuthenticationFailed``, ``VenueUnavailable``.
    """

    @property
    def name(self) -> str:
        """The venue's name in the config."""
        ...

    async def load_markets(self) -> Mapping[str, Market]:
        """Load every spot market's rules, keyed by symbol."""
        ...

    async def fetch_balances(self) -> Mapping[str, Balance]:
        """Fetch every nonzero balance over REST."""
        ...

    async def watch_balances(self) -> Mapping[str, Balance]:
        """Wait for the next balance update from the user-data stream."""
        ...

    async def fetch_quotes(self, symbols: Sequence[str]) -> Mapping[str, Quote]:
        """Fetch best bid and ask for ``symbols`` over REST."""
        ...

    async def watch_quotes(self, symbols: Sequence[str]) -> Mapping[str, Quote]:
        """Wait for the next best bid/ask updates for ``symbols`` from the market stream."""
        ...

    async def create_order(self, order: SubmitOrder) -> OrderReport:
        """Place an order. Never retried blindly: ambiguity raises ``AmbiguousOrderOutcome``."""
        ...

    async def fetch_order_by_client_id(
        self, symbol: str, client_order_id: str
    ) -> OrderReport | None:
        """Look an order up by our id; None only when the exchange says it does not exist."""
        ...

    async def cancel_order(self, symbol: str, client_order_id: str) -> OrderReport | None:
        """Cancel an order by our id; None when it was already gone."""
        ...

    async def fetch_open_orders(self, symbol: str | None = None) -> Sequence[OrderReport]:
        """Every open order (optionally of one symbol)."""
        ...

    async def watch_orders(self) -> Sequence[OrderReport]:
        """Wait for the next order updates from the user-data stream."""
        ...

    async def withdraw(self, request: WithdrawRequest) -> TransferReport:
        """Start a withdrawal."""
        ...

    async def fetch_withdrawals(self, asset: str | None = None) -> Sequence[TransferReport]:
        """Recent withdrawals."""
        ...

    async def fetch_deposits(self, asset: str | None = None) -> Sequence[TransferReport]:
        """Recent deposits."""
        ...

    async def fetch_deposit_address(self, asset: str, network: str) -> DepositAddress:
        """Where to send ``asset`` over ``network`` to credit this account."""
        ...

    async def close(self) -> None:
        """Release connections. Always called."""
        ...
