"""Accounts on a simulated venue: credentials and free/locked balances per asset."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from rebalancer.domain.money import ZERO, format_decimal
from rebalancer.exchange_sim.engine.errors import Rejected, RejectReason


@dataclass(slots=True)
class Balance:
    """What an account holds of one asset: ``free`` to use, ``locked`` by open orders."""

    free: Decimal = ZERO
    locked: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        """Free plus locked."""
        return self.free + self.locked


@dataclass(slots=True)
class Account:
    """One API key's account. ``passphrase`` is for venues that ask for one (OKX)."""

    api_key: str
    secret: str
    passphrase: str | None = None
    balances: dict[str, Balance] = field(default_factory=dict)

    def balance(self, asset: str) -> Balance:
        """The balance of ``asset`` (zero if the account never held it)."""
        return self.balances.setdefault(asset, Balance())

    def credit(self, asset: str, amount: Decimal) -> None:
        """Add ``amount`` to the free balance."""
        self.balance(asset).free += amount

    def debit(self, asset: str, amount: Decimal) -> None:
        """Take ``amount`` from the free balance; refuse if there is not enough."""
        self.require_free(asset, amount)
        self.balance(asset).free -= amount

    def lock(self, asset: str, amount: Decimal) -> None:
        """Move ``amount`` from free to locked; refuse if there is not enough free."""
        self.require_free(asset, amount)
        balance = self.balance(asset)
        balance.free -= amount
        balance.locked += amount

    def unlock(self, asset: str, amount: Decimal) -> None:
        """Move ``amount`` from locked back to free."""
        balance = self.balance(asset)
        balance.locked -= amount
        balance.free += amount

    def spend_locked(self, asset: str, amount: Decimal) -> None:
        """Take ``amount`` out of the locked balance (a fill of a resting order)."""
        self.balance(asset).locked -= amount

    def require_free(self, asset: str, amount: Decimal) -> None:
        """Raise ``Rejected(INSUFFICIENT_BALANCE)`` unless ``amount`` of ``asset`` is free."""
        free = self.balance(asset).free
        if amount > free:
            raise Rejected(
                RejectReason.INSUFFICIENT_BALANCE,
                f"need {format_decimal(amount)} {asset}, have {format_decimal(free)} free",
            )
