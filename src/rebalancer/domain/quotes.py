"""Best bid and ask of a market at a moment."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rebalancer.domain.errors import InvalidValue

TWO = Decimal(2)


@dataclass(frozen=True, slots=True)
class Quote:
    """Top of book. The portfolio is valued at the mid; buys pay the ask, sells get the bid."""

    bid: Decimal
    ask: Decimal

    def __post_init__(self) -> None:
        if self.bid <= 0 or self.ask <= 0:
            raise InvalidValue(f"bid and ask must be positive (bid {self.bid}, ask {self.ask})")
        if self.bid > self.ask:
            raise InvalidValue(f"bid {self.bid} is above ask {self.ask}")

    @property
    def mid(self) -> Decimal:
        """(bid + ask) / 2."""
        return (self.bid + self.ask) / TWO

    @property
    def half_spread(self) -> Decimal:
        """Half the spread as a fraction of the mid: the cost of crossing it once."""
        return (self.ask - self.bid) / (self.ask + self.bid)
