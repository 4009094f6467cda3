"""Withdrawals and deposits between venues."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal


class TransferStatus(enum.StrEnum):
    """Where a withdrawal or deposit stands."""

    PENDING = "pending"
    OK = "ok"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def is_terminal(self) -> bool:
        """True when it can change no more."""
        return self is not TransferStatus.PENDING


@dataclass(frozen=True, slots=True)
class WithdrawRequest:
    """A command to withdraw ``amount`` of ``asset`` over ``network`` to ``address``."""

    asset: str
    network: str
    amount: Decimal
    address: str
    tag: str | None = None
    client_id: str | None = None


@dataclass(frozen=True, slots=True)
class TransferReport:
    """What a venue says about one withdrawal or deposit.

    ``client_id`` is the id we gave a withdrawal (Binance ``withdrawOrderId``, OKX ``clientId``);
    it is how a withdrawal whose reply was lost, or whose id a crash kept us from recording, is
    found again. None for deposits and for withdrawals made without one.
    """

    venue: str
    id: str
    direction: str  # "withdrawal" | "deposit"
    asset: str
    network: str | None
    amount: Decimal
    fee: Decimal | None
    status: TransferStatus
    address: str | None = None
    txid: str | None = None
    timestamp_ms: int | None = None
    client_id: str | None = None


@dataclass(frozen=True, slots=True)
class DepositAddress:
    """Where to send ``asset`` over ``network`` to credit a venue account."""

    asset: str
    network: str
    address: str
    tag: str | None = None
