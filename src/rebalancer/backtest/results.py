"""What one replay did: the raw facts (fills, transfer fees, runs, events, final balances).

Every figure of the report is recomputed from these; nothing else is carried out of a replay.
The values are plain and picklable, so replays can run in other processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from rebalancer.domain.market import OrderSide
from rebalancer.domain.policy import Policy


@dataclass(frozen=True, slots=True)
class Fill:
    """One fill on a venue, with the mid it was measured against and the run that made it."""

    bar: int
    at_s: float
    venue: str
    symbol: str
    side: OrderSide
    amount: Decimal
    price: Decimal
    fee: Decimal
    fee_asset: str
    run_id: str | None  # None for the sale a delisting forced


@dataclass(frozen=True, slots=True)
class TransferFee:
    """What one withdrawal between the portfolio's venues cost, in its asset."""

    bar: int
    asset: str
    amount: Decimal
    fee: Decimal
    source: str
    destination: str


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run of the daemon as the journal holds it."""

    id: str
    bar: int
    trigger: str
    run_type: str
    status: str
    reason: str | None
    orders: int  # orders that filled at least partly


@dataclass(frozen=True, slots=True)
class MarketEvent:
    """A listing, a delisting, a breaker trip or a cash flow, at a bar, in words."""

    bar: int
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """What one replay did: the raw facts every figure is recomputed from."""

    label: str
    configured: Policy
    targets: tuple[tuple[int, Mapping[str, Decimal]], ...]  # (from bar, weights) in force
    start_value: Decimal
    fills: tuple[Fill, ...]
    transfer_fees: tuple[TransferFee, ...]
    runs: tuple[RunSummary, ...]
    events: tuple[MarketEvent, ...]
    checks: Mapping[str, int]  # check action -> how many
    busy_bars: int  # bars whose check was skipped because a run was still going
    final_balances: Mapping[str, Mapping[str, Decimal]]  # venue -> asset -> total
    in_transit: Mapping[str, Decimal]  # asset -> amount on its way (net of fees)
    final_prices: Mapping[str, Decimal]  # asset -> its last mid (delisted: last price)
    initial_run: str | None
    wall_s: float
    slept_s: float = 0.0
    breaker_trips: int = 0
    flows: tuple[tuple[int, str, Decimal], ...] = field(default_factory=tuple)
    refused: Mapping[str, int] = field(default_factory=dict)  # orders a venue refused, by why
