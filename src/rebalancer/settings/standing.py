"""Runs the daemon asks for by itself: investing deposits, and recurring runs by calendar.

``[portfolios.NAME.contributions]`` turns a deposit of quote cash into an ``invest_cash`` run
(a broker's "invest cash inflows automatically"). ``[[portfolios.NAME.schedule]]`` entries are
recurring ``invest_cash`` or ``withdraw`` runs on the same calendar rules as
``[portfolios.NAME.calendar]`` (DCA-style treasuries).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from rebalancer.domain.plan import RunType
from rebalancer.domain.requests import ContributionRule, ScheduledRun
from rebalancer.settings.fields import ConfigModel, Name, Positive, rules_error
from rebalancer.settings.triggers import CalendarConfig


class ContributionsConfig(ConfigModel):
    """``[portfolios.NAME.contributions]``: invest new cash that arrives from outside."""

    enabled: bool = Field(default=True, description="false: deposits are left as cash")
    min_amount: Positive = Field(
        description="deposits of the quote asset, together at least this much, are invested"
    )

    def to_rule(self) -> ContributionRule | None:
        """The domain rule (None when switched off)."""
        return ContributionRule(self.min_amount) if self.enabled else None


class ScheduleEntryConfig(CalendarConfig):
    """One ``[[portfolios.NAME.schedule]]`` entry: a run on every date of its calendar rule."""

    type: Literal["invest_cash", "withdraw"] = Field(
        description="invest_cash: spend cash on the most underweight assets; withdraw: raise cash"
    )
    amount: Positive | None = Field(
        default=None,
        validate_default=True,
        description="withdraw: cash to raise (required); invest_cash: cash to spend "
        "(default: the cash above its target)",
    )
    venue: Name | None = Field(
        default=None, description="withdraw only: raise the cash at this venue (default: any)"
    )

    @field_validator("amount")
    @classmethod
    def _withdraw_has_an_amount(cls, value: object, info: ValidationInfo) -> object:
        if value is None and info.data.get("type") == "withdraw":
            raise rules_error([("", 'required for type = "withdraw"')])
        return value

    @field_validator("venue")
    @classmethod
    def _venue_only_for_withdraw(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("type") != "withdraw":
            raise rules_error([("", 'only applies to type = "withdraw"')])
        return value

    def to_run(self) -> ScheduledRun:
        """The domain entry."""
        return ScheduledRun(
            run_type=RunType(self.type), rule=self.to_rule(), amount=self.amount, venue=self.venue
        )
