"""``[portfolios.P.contributions]`` and ``[[portfolios.P.schedule]]``: what they load to, and
every mistake named with its key."""

from __future__ import annotations

from decimal import Decimal

from tests.unit.settings.conftest import Load, Problems

from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import CalendarEvery
from rebalancer.domain.requests import ContributionRule

CONTRIBUTIONS = '[portfolios.core.contributions]\nmin_amount = "100"\n'
WEEKLY_INVEST = """[[portfolios.core.schedule]]
type = "invest_cash"
amount = "500"
every = "weekly"
day = "monday"
"""
MONTHLY_WITHDRAW = """[[portfolios.core.schedule]]
type = "withdraw"
amount = "20000"
venue = "binance"
every = "quarterly"
day = 31
months = [3, 6, 9, 12]
"""


def test_without_the_tables_nothing_is_standing(load: Load) -> None:
    orders = load().portfolios["core"].standing_orders()

    assert (orders.contributions, orders.schedule, orders.any) == (None, (), False)


def test_contributions_and_schedule_load_to_their_rules(load: Load) -> None:
    orders = (
        load(extra=CONTRIBUTIONS + WEEKLY_INVEST + MONTHLY_WITHDRAW)
        .portfolios["core"]
        .standing_orders()
    )

    assert orders.contributions == ContributionRule(Decimal(100))
    invest, withdraw = orders.schedule
    assert (invest.run_type, invest.amount, invest.venue) == (
        RunType.INVEST_CASH,
        Decimal(500),
        None,
    )
    assert (invest.rule.every, invest.rule.day) == (CalendarEvery.WEEKLY, "Monday")
    assert (withdraw.run_type, withdraw.venue, withdraw.rule.months) == (
        RunType.WITHDRAW,
        "binance",
        (3, 6, 9, 12),
    )
    assert invest.key != withdraw.key


def test_contributions_switched_off_are_no_rule(load: Load) -> None:
    extra = CONTRIBUTIONS + "enabled = false\n"

    orders = load(extra=extra).portfolios["core"].standing_orders()

    assert orders.contributions is None


def test_every_schedule_mistake_is_named_with_its_entry(problems: Problems) -> None:
    extra = (
        CONTRIBUTIONS.replace('"100"', '"-1"')
        + '[[portfolios.core.schedule]]\ntype = "withdraw"\nevery = "monthly"\nday = 1\n'
        + '[[portfolios.core.schedule]]\ntype = "invest_cash"\nvenue = "okx"\n'
        + 'every = "weekly"\nday = "Funday"\n'
        + '[[portfolios.core.schedule]]\ntype = "liquidate"\nevery = "monthly"\nday = 1\n'
    )

    found = problems(extra=extra)

    assert found == [
        'FILE: portfolios.core.contributions.min_amount: expected greater than 0, got "-1"',
        'FILE: portfolios.core.schedule[0].amount: required for type = "withdraw"',
        "FILE: portfolios.core.schedule[1].day: expected a weekday Monday..Sunday for every = "
        '"weekly", got "Funday"',
        'FILE: portfolios.core.schedule[1].venue: only applies to type = "withdraw"',
        "FILE: portfolios.core.schedule[2].type: expected 'invest_cash' or 'withdraw', got "
        '"liquidate"',
    ]


def test_a_schedule_venue_must_be_the_portfolios(problems: Problems) -> None:
    extra = MONTHLY_WITHDRAW.replace('"binance"', '"kraken"')

    assert problems(extra=extra) == [
        "FILE: portfolios.core.schedule[0].venue: kraken is not one of the portfolio's venues"
    ]
