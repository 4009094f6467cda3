"""The pre-trade gate: every order passes here before its intent is written.

Three kinds of check, each a pure function returning the problems it found (empty: go):

- notional limits: one order, everything sent in this run, everything sent today;
- price sanity: a quote that moved more than a limit since the last good one, or that disagrees
  with another venue's quote of the same market beyond a limit, stops the run (the breaker's
  ``PRICE_CHECK``);
- slicing: an order above the max order notional is cut into slices that each pass, every slice
  on the market's step; what the step cannot carry is returned as the remainder, not dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.market import Market, Rounding
from rebalancer.domain.money import ZERO, format_decimal
from rebalancer.domain.quotes import Quote


@dataclass(frozen=True, slots=True)
class PretradeLimits:
    """Hard limits checked before any order. Notionals are in the portfolio's quote asset.

    ``None`` disables a limit. Price limits are fractions (``0.05`` is 5 %).
    """

    max_order_notional: Decimal | None = None
    max_run_notional: Decimal | None = None
    max_day_notional: Decimal | None = None
    max_price_move: Decimal | None = Decimal("0.05")
    max_venue_disagreement: Decimal | None = Decimal("0.02")

    def __post_init__(self) -> None:
        for name in (
            "max_order_notional",
            "max_run_notional",
            "max_day_notional",
            "max_price_move",
            "max_venue_disagreement",
        ):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise InvalidValue(f"{name}: must be positive, got {format_decimal(value)}")


@dataclass(frozen=True, slots=True)
class GateDecision:
    """The gate's answer for one order: the problems found (empty means the order may go)."""

    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the order may be sent."""
        return not self.problems


def check_notional(
    notional: Decimal, run_sent: Decimal, day_sent: Decimal, limits: PretradeLimits
) -> GateDecision:
    """Check one order's notional against the per-order, per-run and per-day limits.

    ``run_sent`` and ``day_sent`` are the notionals already sent in this run and today.
    """
    problems: list[str] = []
    order_cap = limits.max_order_notional
    if order_cap is not None and notional > order_cap:
        problems.append(
            f"order notional {format_decimal(notional)} above max_order_notional "
            f"{format_decimal(order_cap)}"
        )
    run_cap = limits.max_run_notional
    if run_cap is not None and run_sent + notional > run_cap:
        problems.append(
            f"run notional {format_decimal(run_sent + notional)} would exceed max_run_notional "
            f"{format_decimal(run_cap)}"
        )
    day_cap = limits.max_day_notional
    if day_cap is not None and day_sent + notional > day_cap:
        problems.append(
            f"day notional {format_decimal(day_sent + notional)} would exceed max_day_notional "
            f"{format_decimal(day_cap)}"
        )
    return GateDecision(tuple(problems))


def relative_gap(a: Decimal, b: Decimal) -> Decimal:
    """|a - b| as a fraction of b."""
    return abs(a - b) / b if b else Decimal(0)


def check_price(
    symbol: str,
    venue: str,
    quote: Quote,
    *,
    last_good: Quote | None,
    other_venues: Mapping[str, Quote],
    limits: PretradeLimits,
) -> GateDecision:
    """Is ``quote`` sane? Compare its mid with the last good mid and with other venues' mids."""
    problems: list[str] = []
    move_cap = limits.max_price_move
    if move_cap is not None and last_good is not None:
        moved = relative_gap(quote.mid, last_good.mid)
        if moved > move_cap:
            problems.append(
                f"{venue} {symbol} mid {format_decimal(quote.mid)} moved {_pct(moved)} from the "
                f"last good {format_decimal(last_good.mid)} (limit {_pct(move_cap)})"
            )
    gap_cap = limits.max_venue_disagreement
    if gap_cap is not None:
        for other in sorted(other_venues):
            if other == venue:
                continue
            gap = relative_gap(quote.mid, other_venues[other].mid)
            if gap > gap_cap:
                problems.append(
                    f"{venue} {symbol} mid {format_decimal(quote.mid)} differs from {other}'s "
                    f"{format_decimal(other_venues[other].mid)} by {_pct(gap)} "
                    f"(limit {_pct(gap_cap)})"
                )
    return GateDecision(tuple(problems))


QuoteKey = tuple[str, str]  # (venue, symbol)


def check_snapshot_prices(
    quotes: Mapping[QuoteKey, Quote], last_good: Mapping[QuoteKey, Quote], limits: PretradeLimits
) -> GateDecision:
    """Price-check every quote of a snapshot against its last good value and other venues."""
    by_symbol: dict[str, dict[str, Quote]] = {}
    for (venue, symbol), quote in quotes.items():
        by_symbol.setdefault(symbol, {})[venue] = quote
    problems: list[str] = []
    for venue, symbol in sorted(quotes):
        decision = check_price(
            symbol,
            venue,
            quotes[(venue, symbol)],
            last_good=last_good.get((venue, symbol)),
            other_venues=by_symbol[symbol],
            limits=limits,
        )
        problems.extend(decision.problems)
    return GateDecision(tuple(problems))


def _pct(fraction: Decimal) -> str:
    return f"{(fraction * 100).quantize(Decimal('0.01'))}%"


@dataclass(frozen=True, slots=True)
class Slices:
    """An order cut into slices on the market's step; ``remainder`` is what the step cut off."""

    amounts: tuple[Decimal, ...]
    remainder: Decimal

    @property
    def total(self) -> Decimal:
        """The sum of the slices."""
        return sum(self.amounts, ZERO)


def slice_order(
    amount: Decimal, price: Decimal, market: Market, max_order_notional: Decimal | None
) -> Slices:
    """Cut ``amount`` into equal-as-possible slices whose notional at ``price`` is within the cap.

    Slices are rounded down to the step; a last, smaller slice carries the rest when it still
    meets the market's minimums, otherwise it is reported as ``remainder``.
    """
    whole = market.round_amount(amount, Rounding.DOWN).value
    if max_order_notional is None or whole * price <= max_order_notional or price <= 0:
        return Slices((whole,) if whole > 0 else (), amount - whole)
    per_slice = market.round_amount(max_order_notional / price, Rounding.DOWN).value
    if per_slice <= 0 or not market.check_order(per_slice, price).ok:
        raise InvalidValue(
            f"max_order_notional: {format_decimal(max_order_notional)} is below the smallest "
            f"order {market.symbol} accepts at {format_decimal(price)}"
        )
    count = int(whole // per_slice)
    amounts = [per_slice] * count
    rest = whole - per_slice * count
    if rest > 0 and market.check_order(rest, price).ok:
        amounts.append(rest)
        rest = ZERO
    return Slices(tuple(amounts), rest + (amount - whole))
