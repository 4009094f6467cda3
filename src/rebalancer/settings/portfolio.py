"""``[portfolios.NAME]``: one portfolio's targets, triggers and trading rules (docs/config.md).

Rules that tie one key to an earlier one (the weights must include the quote, a per-asset band
needs a weight, a reserve must be on one of the portfolio's venues) are checked as each key is
validated, so a mistake in one key never hides a mistake in another.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from pydantic import Field, ValidationInfo, field_validator

from rebalancer.domain.money import HUNDRED, format_decimal
from rebalancer.domain.policy import Constraints, Policy, RebalanceTo
from rebalancer.domain.requests import StandingOrders
from rebalancer.settings.fields import Asset, ConfigModel, Name, NonNegative, Percent, rules_error
from rebalancer.settings.standing import ContributionsConfig, ScheduleEntryConfig
from rebalancer.settings.trading import ApprovalConfig, ExecutionConfig, LimitsConfig
from rebalancer.settings.triggers import CalendarConfig, DriftBandConfig


class PortfolioConfig(ConfigModel):
    """One portfolio: what it should hold, when to rebalance it and how it may trade."""

    quote: Asset = Field(description="the asset everything is valued in; also the cash asset")
    venues: tuple[Name, ...] = Field(min_length=1, description="names of [venues.*] tables")
    rebalance_to: RebalanceTo = Field(
        default=RebalanceTo.BAND_EDGE, description='"band_edge" (least turnover) or "target"'
    )
    cooldown_days: int = Field(
        default=0, ge=0, description="no automatic rebalance sooner after the last one"
    )
    set_aside_days: int = Field(
        default=30,
        ge=0,
        description="cash a withdraw run set aside counts as cash again after this many days "
        "unless it was withdrawn (0: never)",
    )
    band_edge_margin_percent: Percent = Field(
        default=Decimal(20),
        lt=100,
        description="a band_edge run lands this percent of each band's half-width inside the edge",
    )
    target_tolerance_percent: Percent = Field(
        default=Decimal("0.5"),
        description="a run to target is done when every weight is within this many points of it",
    )
    weights: Mapping[Asset, Percent] = Field(
        description="target percent per asset, summing to exactly 100; the quote's share is "
        "cash (0 when the quote is not listed)"
    )
    drift_band: DriftBandConfig | None = Field(default=None, description="omit: calendar only")
    calendar: CalendarConfig | None = Field(default=None, description="omit: drift only")
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    cash_reserve: Mapping[Name, NonNegative] = Field(
        default_factory=dict, description="venue -> quote amount the plan must leave untouched"
    )
    forbidden_assets: Mapping[Name, tuple[Asset, ...]] = Field(
        default_factory=dict, description="venue -> assets the portfolio may not hold there"
    )
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig)
    approval: ApprovalConfig = Field(default_factory=ApprovalConfig)
    contributions: ContributionsConfig | None = Field(
        default=None, description="omit: deposits are left as cash"
    )
    schedule: tuple[ScheduleEntryConfig, ...] = Field(
        default=(), description="recurring invest_cash or withdraw runs by calendar"
    )

    @field_validator("venues")
    @classmethod
    def _venues_unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        repeated = sorted({name for name in value if value.count(name) > 1})
        if repeated:
            raise rules_error([("", f"lists {', '.join(repeated)} more than once")])
        return value

    @field_validator("weights")
    @classmethod
    def _weights_are_whole(cls, value: Mapping[str, Decimal]) -> Mapping[str, Decimal]:
        if not value:
            raise rules_error([("", "needs at least one asset")])
        total = sum(value.values(), Decimal(0))
        if total != HUNDRED:
            raise rules_error([("", f"must sum to exactly 100, got {format_decimal(total)}")])
        return value

    @field_validator("drift_band")
    @classmethod
    def _band_fits_weights(
        cls, value: DriftBandConfig | None, info: ValidationInfo
    ) -> DriftBandConfig | None:
        weights = info.data.get("weights")
        if value is None or weights is None:
            return value
        problems = [
            (f"per_asset.{asset}", f"{asset} has no target in weights")
            for asset in value.per_asset
            if asset not in weights
        ]
        if problems:
            raise rules_error(problems)
        return value

    @field_validator("cash_reserve")
    @classmethod
    def _reserve_on_own_venues(
        cls, value: Mapping[str, Decimal], info: ValidationInfo
    ) -> Mapping[str, Decimal]:
        problems = _foreign_venues(value, info)
        if problems:
            raise rules_error(problems)
        return value

    @field_validator("forbidden_assets")
    @classmethod
    def _forbidden_leaves_a_venue(
        cls, value: Mapping[str, tuple[str, ...]], info: ValidationInfo
    ) -> Mapping[str, tuple[str, ...]]:
        problems = _foreign_venues(value, info)
        quote = info.data.get("quote")
        problems.extend(
            (f"{venue}", f"the quote asset {quote} cannot be forbidden: every trade uses it")
            for venue, assets in value.items()
            if quote in assets
        )
        problems.extend(_assets_without_a_venue(value, info))
        if problems:
            raise rules_error(problems)
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule_on_own_venues(
        cls, value: tuple[ScheduleEntryConfig, ...], info: ValidationInfo
    ) -> tuple[ScheduleEntryConfig, ...]:
        venues = info.data.get("venues")
        problems = [
            (f"{index}.venue", f"{entry.venue} is not one of the portfolio's venues")
            for index, entry in enumerate(value)
            if venues is not None and entry.venue is not None and entry.venue not in venues
        ]
        if problems:
            raise rules_error(problems)
        return value

    def standing_orders(self) -> StandingOrders:
        """The runs the daemon requests by itself for this portfolio (deposits, schedule)."""
        return StandingOrders(
            contributions=self.contributions.to_rule() if self.contributions else None,
            schedule=tuple(entry.to_run() for entry in self.schedule),
        )

    def to_policy(self, name: str) -> Policy:
        """The pure domain policy the planner and the triggers consume."""
        limits = self.limits
        weights = dict(self.weights)
        weights.setdefault(self.quote, Decimal(0))  # no quote listed: no cash (Alpaca's reading)
        return Policy(
            name=name,
            quote=self.quote,
            venues=self.venues,
            weights=weights,
            rebalance_to=self.rebalance_to,
            drift_band=self.drift_band.to_band() if self.drift_band else None,
            calendar=self.calendar.to_rule() if self.calendar else None,
            cooldown_days=self.cooldown_days,
            band_edge_margin_percent=self.band_edge_margin_percent,
            target_tolerance_percent=self.target_tolerance_percent,
            constraints=Constraints(
                min_trade_notional=limits.min_trade_notional,
                min_trade_percent_of_position=limits.min_trade_percent_of_position,
                max_trades_per_run=limits.max_trades_per_run,
                max_order_notional=limits.max_order_notional,
                cash_reserve=dict(self.cash_reserve),
                forbidden_assets={v: frozenset(a) for v, a in self.forbidden_assets.items()},
                on_small_trade=limits.on_small_trade,
            ),
        )


def _foreign_venues(value: Mapping[str, object], info: ValidationInfo) -> list[tuple[str, str]]:
    """Keys of ``value`` that are not among the portfolio's venues."""
    venues = info.data.get("venues")
    if venues is None:
        return []
    return [
        (venue, f"{venue} is not one of the portfolio's venues ({', '.join(venues)})")
        for venue in value
        if venue not in venues
    ]


def _assets_without_a_venue(
    forbidden: Mapping[str, tuple[str, ...]], info: ValidationInfo
) -> list[tuple[str, str]]:
    """Assets with a nonzero target that every one of the portfolio's venues forbids."""
    venues, weights = info.data.get("venues"), info.data.get("weights")
    if not venues or weights is None:
        return []
    return [
        ("", f"{asset} has a target of {format_decimal(weight)}% but every venue forbids it")
        for asset, weight in sorted(weights.items())
        if weight > 0 and all(asset in forbidden.get(venue, ()) for venue in venues)
    ]
