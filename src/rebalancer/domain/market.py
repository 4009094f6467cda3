"""A market's trading rules and the rounding that belongs to them.

Every rounding states its direction. A sell rounds down so it never exceeds the balance; a buy
rounds down so it never exceeds the cash. A nonzero amount that rounds to zero is dust and is
reported (``DustError`` or ``Rounded.dust``), never silently dropped.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from rebalancer.domain.errors import DustError, InvalidValue
from rebalancer.domain.money import ZERO, format_decimal


class Rounding(enum.Enum):
    """The direction of a rounding to a step."""

    DOWN = ROUND_FLOOR
    UP = ROUND_CEILING
    NEAREST = ROUND_HALF_EVEN


class OrderSide(enum.StrEnum):
    """Buy or sell the base asset."""

    BUY = "buy"
    SELL = "sell"


def round_to_step(value: Decimal, step: Decimal, rounding: Rounding) -> Decimal:
    """Round a non-negative ``value`` to a whole multiple of ``step`` in the given direction."""
    if step <= 0:
        return value
    units = (value / step).to_integral_value(rounding=rounding.value)
    return (units * step).quantize(step) if units else ZERO


@dataclass(frozen=True, slots=True)
class Rounded:
    """The result of rounding an amount: what is left and what was cut off."""

    value: Decimal
    requested: Decimal

    @property
    def remainder(self) -> Decimal:
        """What rounding removed (negative when it rounded up)."""
        return self.requested - self.value

    @property
    def dust(self) -> bool:
        """True when a nonzero request rounded to zero."""
        return self.value == 0 and self.requested != 0


@dataclass(frozen=True, slots=True)
class OrderCheck:
    """Why an order of a given size cannot be placed on a market (empty when it can)."""

    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the order satisfies every rule."""
        return not self.problems


@dataclass(frozen=True, slots=True)
class Market:
    """A spot market's rules on one venue: steps, minimums and fees.

    ``amount_step``/``price_tick`` of zero mean "no step". ``min_notional`` is in the quote asset.
    Fees are fractions (0.001 is 0.1 %).
    """

    symbol: str
    base: str
    quote: str
    amount_step: Decimal
    min_amount: Decimal
    min_notional: Decimal
    price_tick: Decimal
    taker_fee: Decimal
    maker_fee: Decimal | None = None
    max_amount: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("amount_step", "min_amount", "min_notional", "price_tick", "taker_fee"):
            if getattr(self, name) < 0:
                raise InvalidValue(f"{self.symbol}.{name}: must not be negative")
        if self.symbol != f"{self.base}/{self.quote}":
            raise InvalidValue(
                f"{self.symbol}: symbol must be BASE/QUOTE ({self.base}/{self.quote})"
            )

    def round_amount(self, amount: Decimal, rounding: Rounding) -> Rounded:
        """Round an order amount to the lot step in the stated direction."""
        return Rounded(round_to_step(amount, self.amount_step, rounding), amount)

    def amount_for_side(self, amount: Decimal, side: OrderSide) -> Rounded:
        """Round an amount the safe way for its side: both sides round down (never overspend)."""
        del side  # both sides round down; kept in the signature so callers state the side
        return self.round_amount(amount, Rounding.DOWN)

    def strict_amount(self, amount: Decimal, rounding: Rounding = Rounding.DOWN) -> Decimal:
        """Round to the step and raise DustError if a nonzero amount would become zero."""
        rounded = self.round_amount(amount, rounding)
        if rounded.dust:
            raise DustError(
                f"{self.symbol}: {format_decimal(amount)} {self.base} rounds to zero "
                f"on step {format_decimal(self.amount_step)}"
            )
        return rounded.value

    def round_price(self, price: Decimal, rounding: Rounding) -> Decimal:
        """Round a price to the tick in the stated direction (buy limits down, sell limits up)."""
        return round_to_step(price, self.price_tick, rounding)

    def check_order(self, amount: Decimal, price: Decimal) -> OrderCheck:
        """List every rule an order of ``amount`` at ``price`` breaks."""
        problems: list[str] = []
        if amount <= 0:
            problems.append("amount must be positive")
        if self.amount_step > 0 and amount % self.amount_step != 0:
            problems.append(f"amount not on step {format_decimal(self.amount_step)}")
        if amount < self.min_amount:
            problems.append(f"below min_amount {format_decimal(self.min_amount)}")
        if self.max_amount is not None and amount > self.max_amount:
            problems.append(f"above max_amount {format_decimal(self.max_amount)}")
        if amount * price < self.min_notional:
            problems.append(f"below min_notional {format_decimal(self.min_notional)}")
        return OrderCheck(tuple(problems))

    def smallest_order(self, price: Decimal) -> Decimal:
        """The smallest amount on the step that meets both the minimum amount and notional."""
        need = self.min_amount
        if price > 0 and self.min_notional > 0:
            need = max(need, self.min_notional / price)
        return round_to_step(need, self.amount_step, Rounding.UP) if need > 0 else self.amount_step
