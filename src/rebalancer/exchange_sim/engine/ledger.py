"""An account statement: every change of an account's balances, with the balance after it.

Exchanges list these as "bills" (OKX) or a ledger: a fill moves two assets (what was paid and
what was received, less the fee), a deposit or a refunded withdrawal adds, a withdrawal takes.
Each entry keeps the asset's total balance (free plus locked) right after the change.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.domain.money import ZERO


class LedgerKind(enum.StrEnum):
    """What changed the balance."""

    TRADE = "trade"
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    REFUND = "refund"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One change of one asset: ``change`` net of ``fee``; ``balance`` is the total after it.

    ``gross`` is the size of the movement before the fee (the traded amount of this asset);
    ``order_id``/``symbol`` name the order of a trade, ``reference`` the transfer's id.
    """

    id: int
    account: str
    asset: str
    kind: LedgerKind
    change: Decimal
    balance: Decimal
    time_ms: int
    gross: Decimal
    fee: Decimal = ZERO
    order_id: int | None = None
    symbol: str | None = None
    side: str | None = None
    reference: str | None = None
