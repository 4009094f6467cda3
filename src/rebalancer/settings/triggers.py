"""What makes a portfolio due for a rebalance: its drift band and its calendar (docs/config.md)."""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from rebalancer.domain.policy import BandType, CalendarEvery, CalendarRule, DriftBand
from rebalancer.settings.fields import Asset, BandPercent, ConfigModel, DayText, rules_error

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DEFAULT_QUARTER_MONTHS = (1, 4, 7, 10)
_MONTH_DAY = re.compile(r"(\d{2})-(\d{2})")
_LEAP_YEAR = 2000  # 02-29 is a valid annual day: it means 28 February in other years


class DriftBandConfig(ConfigModel):
    """``[portfolios.NAME.drift_band]``: how far a weight may drift before a rebalance is due."""

    type: BandType = Field(description='"absolute": |w - t| > p; "relative": |w - t| / t > p')
    percent: BandPercent = Field(description="the band width in percent, in (0, 100]")
    per_asset: Mapping[Asset, BandPercent] = Field(
        default_factory=dict, description="band widths for some assets, same type"
    )

    def to_band(self) -> DriftBand:
        """The pure domain band."""
        return DriftBand(type=self.type, percent=self.percent, per_asset=dict(self.per_asset))


class CalendarConfig(ConfigModel):
    """``[portfolios.NAME.calendar]``: rebalance on fixed dates (00:00 UTC)."""

    every: CalendarEvery = Field(description="weekly | monthly | quarterly | annually")
    day: DayText = Field(
        description="weekly: Monday..Sunday; monthly/quarterly: 1..31; annually: MM-DD"
    )
    months: tuple[Annotated[int, Field(ge=1, le=12)], ...] | None = Field(
        default=None, description="quarterly only: the months it fires in (default 1, 4, 7, 10)"
    )

    @field_validator("day")
    @classmethod
    def _day_fits_every(cls, value: str, info: ValidationInfo) -> str:
        every = info.data.get("every")
        return value if every is None else normalized_day(every, value)

    @field_validator("months")
    @classmethod
    def _months_only_quarterly(
        cls, value: tuple[int, ...] | None, info: ValidationInfo
    ) -> tuple[int, ...] | None:
        if value is None:
            return None
        every = info.data.get("every")
        if every is not None and every is not CalendarEvery.QUARTERLY:
            raise rules_error([("", f'only applies to every = "quarterly", not "{every}"')])
        if not value:
            raise rules_error([("", "needs at least one month")])
        if len(set(value)) != len(value):
            raise rules_error([("", "lists a month more than once")])
        return tuple(sorted(value))

    def to_rule(self) -> CalendarRule:
        """The pure domain rule."""
        return CalendarRule(
            every=self.every, day=self.day, months=self.months or DEFAULT_QUARTER_MONTHS
        )


def normalized_day(every: CalendarEvery, text: str) -> str:
    """Check that ``text`` is a valid day for ``every`` and return it in canonical form.

    Weekdays become capitalised ("monday" -> "Monday"), days of the month lose leading zeros,
    annual days stay "MM-DD". A day past a month's end is valid: it means the month's last day.
    """
    text = text.strip()
    if every is CalendarEvery.WEEKLY:
        if text.capitalize() in WEEKDAYS:
            return text.capitalize()
        raise _day_error("a weekday Monday..Sunday", every, text)
    if every is CalendarEvery.ANNUALLY:
        match = _MONTH_DAY.fullmatch(text)
        if match and _is_month_day(int(match[1]), int(match[2])):
            return text
        raise _day_error('a date MM-DD such as "03-01" (02-29 is allowed)', every, text)
    if text.isdigit() and 1 <= int(text) <= 31:
        return str(int(text))
    raise _day_error("a day of the month 1..31", every, text)


def _is_month_day(month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(_LEAP_YEAR, month)[1]


def _day_error(expected: str, every: CalendarEvery, text: str) -> PydanticCustomError:
    return PydanticCustomError(
        "calendar_day",
        'expected {expected} for every = "{every}", got "{text}"',
        {"expected": expected, "every": str(every), "text": text},
    )
