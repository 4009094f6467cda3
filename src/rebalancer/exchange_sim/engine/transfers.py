"""Withdrawals and deposits: networks with fees, minimums and delays, and their records.

A withdrawal of ``amount`` leaves the source account at once; ``amount - fee`` arrives after the
network's delay. If the address is a deposit address of another simulated venue, it arrives
there as a deposit; otherwise it leaves the simulation. Each record keeps its status history.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal

from rebalancer.domain.money import ZERO
from rebalancer.exchange_sim.engine import addresses


class TransferState(enum.StrEnum):
    """Where a withdrawal or deposit stands."""

    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def is_final(self) -> bool:
        """True once nothing more will happen to it."""
        return self is not TransferState.PENDING


@dataclass(frozen=True, slots=True)
class Network:
    """How ``asset`` moves over ``network``: fee and minimum in the asset, delay in seconds."""

    asset: str
    network: str
    fee: Decimal = ZERO
    min_amount: Decimal = ZERO
    delay_s: float = 0.0
    withdraw_enabled: bool = True
    deposit_enabled: bool = True
    is_default: bool = False


@dataclass(frozen=True, slots=True)
class Destination:
    """The simulated account a deposit address belongs to."""

    venue: str
    account: str
    asset: str
    network: str


@dataclass(slots=True)
class Withdrawal:
    """One withdrawal; ``history`` lists every (state, time) it went through."""

    id: str
    venue: str
    account: str
    asset: str
    network: str
    address: str
    tag: str | None
    amount: Decimal
    fee: Decimal
    applied_ms: int
    due_ms: int
    txid: str
    client_id: str | None = None
    destination: Destination | None = None
    state: TransferState = TransferState.PENDING
    history: list[tuple[TransferState, int]] = field(default_factory=list)
    deposit_id: str | None = None

    def move_to(self, state: TransferState, now_ms: int) -> None:
        """Change state and record it."""
        self.state = state
        self.history.append((state, now_ms))


@dataclass(slots=True)
class Deposit:
    """One deposit credited to an account (``withdrawal_id`` when it came from another venue)."""

    id: str
    venue: str
    account: str
    asset: str
    network: str
    address: str
    amount: Decimal
    time_ms: int
    txid: str
    state: TransferState = TransferState.COMPLETED
    withdrawal_id: str | None = None


def deposit_address_for(venue: str, account: str, asset: str, network: str) -> str:
    """A stable address of ``network``'s shape for an account's deposits of ``asset``."""
    return addresses.address_for(network, f"{venue}|{account}|{asset}|{network}")


def txid_for(kind: str, number: int, venue: str, network: str) -> str:
    """A stable transaction id of ``network``'s shape for a simulated transfer."""
    return addresses.txid_for(network, f"{kind}|{venue}|{number}")
