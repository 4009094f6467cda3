"""How orders, transfers and rounds are executed: plain values the composition root fills in.

Services may not import ``rebalancer.settings`` (layer rule), so the runtime copies the config
into these frozen dataclasses. Times are in seconds (``_s``); notionals in the quote asset.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from rebalancer.core.pretrade import PretradeLimits
from rebalancer.domain.errors import InvalidValue


class OrderStyle(enum.StrEnum):
    """How a planned order is placed."""

    MARKET = "market"
    LIMIT = "limit"  # at the touch (buy at the bid, sell at the ask), with a timeout


class LimitFallback(enum.StrEnum):
    """What to do with the rest of a limit order that timed out."""

    MARKET = "market"  # cancel and send the rest as a market order
    REPRICE = "reprice"  # cancel and place again at the new touch (then market after the last)


@dataclass(frozen=True, slots=True)
class OrderSettings:
    """One order's lifecycle."""

    style: OrderStyle = OrderStyle.MARKET
    limit_timeout_s: float = 30.0
    limit_fallback: LimitFallback = LimitFallback.MARKET
    max_reprices: int = 2
    poll_interval_s: float = 1.0
    max_create_attempts: int = 3  # new client ids after a definitive "not found"
    ambiguous_grace_s: float = 1.0  # wait before looking up an ambiguous create
    lookup_attempts: int = 6  # reads retried with jittered backoff
    lookup_max_wait_s: float = 2.0

    def __post_init__(self) -> None:
        # accept the config's plain strings ("limit") as well as the enums
        try:
            object.__setattr__(self, "style", OrderStyle(self.style))
            object.__setattr__(self, "limit_fallback", LimitFallback(self.limit_fallback))
        except ValueError as error:
            raise InvalidValue(f"style/limit_fallback: {error}") from error
        for name in ("limit_timeout_s", "poll_interval_s", "lookup_max_wait_s"):
            if getattr(self, name) <= 0:
                raise InvalidValue(f"{name}: must be positive")
        for name in ("max_create_attempts", "lookup_attempts"):
            if getattr(self, name) < 1:
                raise InvalidValue(f"{name}: must be at least 1")


@dataclass(frozen=True, slots=True)
class TransferSettings:
    """Following a withdrawal until it arrives."""

    arrival_timeout_s: float = 3600.0
    poll_interval_s: float = 5.0
    # (venue, asset, network) -> address pinned in the config; used instead of asking the venue
    deposit_addresses: Mapping[tuple[str, str, str], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.arrival_timeout_s <= 0 or self.poll_interval_s <= 0:
            raise InvalidValue("arrival_timeout_s and poll_interval_s: must be positive")


@dataclass(frozen=True, slots=True)
class ExecutionSettings:
    """Everything the executor and the round loop need."""

    orders: OrderSettings = field(default_factory=OrderSettings)
    transfers: TransferSettings = field(default_factory=TransferSettings)
    limits: PretradeLimits = field(default_factory=PretradeLimits)
    max_rounds: int = 3
    orders_per_venue: int = 1  # orders in flight at once on one venue
    approval_above_notional: Decimal | None = None  # plans above this wait for a person
    max_snapshot_age_s: float | None = 60.0  # an older snapshot trips STALE_DATA

    def __post_init__(self) -> None:
        if self.max_rounds < 1:
            raise InvalidValue("max_rounds: must be at least 1")
        if self.orders_per_venue < 1:
            raise InvalidValue("orders_per_venue: must be at least 1")
