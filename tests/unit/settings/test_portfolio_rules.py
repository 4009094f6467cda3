"""Every portfolio rule of contracts.md §1: each problem names the file and the key path."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.unit.settings.conftest import BAND_TABLE, CALENDAR_TABLE, Load, Problems


def test_minimal_contract_config_loads_with_every_default(load: Load) -> None:
    config = load()
    portfolio = config.portfolios["core"]
    assert portfolio.weights == {
        "BTC": Decimal("40"),
        "ETH": Decimal("30"),
        "SOL": Decimal("10"),
        "USDT": Decimal("20"),
    }
    assert portfolio.limits.max_trades_per_run is None
    assert portfolio.execution.max_rounds == 3
    assert portfolio.approval.required_above_notional is None
    assert config.routes == ()
    assert config.market_data.max_age_s == 30.0


def test_weights_that_do_not_sum_to_100_are_refused_with_the_total(problems: Problems) -> None:
    found = problems({'SOL = "10"': 'SOL = "5"'})
    assert found == ["FILE: portfolios.core.weights: must sum to exactly 100, got 95"]


def test_weights_without_the_quote_asset_mean_no_cash(load: Load) -> None:
    config = load({'USDT = "20"': 'XRP = "20"'})
    policy = config.policy("core")
    assert policy.weights["USDT"] == 0  # Alpaca's convention: cash not listed is a 0 % share
    assert policy.weights["XRP"] == Decimal(20)


def test_weights_sum_is_exact_not_approximate(problems: Problems) -> None:
    found = problems({'SOL = "10"': 'SOL = "10.0000001"'})
    assert found == ["FILE: portfolios.core.weights: must sum to exactly 100, got 100.0000001"]


@pytest.mark.parametrize(
    ("written", "expected"),
    [('"10"', Decimal("10")), ("10", Decimal("10")), ("10.0", Decimal("10.0"))],
)
def test_percent_may_be_a_string_or_a_toml_number(
    load: Load, written: str, expected: Decimal
) -> None:
    config = load({'SOL = "10"': f"SOL = {written}"})
    assert config.portfolios["core"].weights["SOL"] == expected


def test_toml_decimal_numbers_are_exact_not_floats(load: Load) -> None:
    config = load({'BTC = "40"': "BTC = 39.9", 'SOL = "10"': "SOL = 10.1"})
    weights = config.portfolios["core"].weights
    assert weights["BTC"] == Decimal("39.9")
    assert sum(weights.values()) == Decimal(100)


def test_a_weight_that_is_not_a_number_is_refused(problems: Problems) -> None:
    found = problems({'BTC = "40"': 'BTC = "forty"'})
    assert found == [
        'FILE: portfolios.core.weights.BTC: expected a decimal number such as "5" or "0.25", '
        'got "forty"'
    ]


def test_a_weight_above_100_is_refused(problems: Problems) -> None:
    found = problems({'BTC = "40"': 'BTC = "140"', 'ETH = "30"': 'ETH = "-70"'})
    assert 'FILE: portfolios.core.weights.BTC: expected less than or equal to 100, got "140"' in (
        found
    )
    assert 'FILE: portfolios.core.weights.ETH: expected greater than or equal to 0, got "-70"' in (
        found
    )


def test_lower_case_asset_symbols_are_refused(problems: Problems) -> None:
    found = problems({'SOL = "10"': 'sol = "10"'})
    assert found == [
        "FILE: portfolios.core.weights.sol: expected an upper-case asset symbol as ccxt writes "
        "it (e.g. BTC), got 'sol'"
    ]


def test_a_venue_without_a_venues_table_is_refused(problems: Problems) -> None:
    found = problems({'venues = ["binance", "okx"]': 'venues = ["binance", "kraken"]'})
    assert found == [
        'FILE: portfolios.core.venues[1]: "kraken" is not a [venues.*] table (venues: binance, okx)'
    ]


def test_a_venue_listed_twice_is_refused(problems: Problems) -> None:
    found = problems({'venues = ["binance", "okx"]': 'venues = ["okx", "okx"]'})
    assert found == ["FILE: portfolios.core.venues: lists okx more than once"]


def test_a_portfolio_needs_at_least_one_venue(problems: Problems) -> None:
    found = problems({'venues = ["binance", "okx"]': "venues = []"})
    assert found == ["FILE: portfolios.core.venues: needs at least 1 entry"]


def test_rebalance_to_must_be_band_edge_or_target(problems: Problems) -> None:
    found = problems({'rebalance_to = "band_edge"': 'rebalance_to = "edge"'})
    assert found == [
        "FILE: portfolios.core.rebalance_to: expected 'target' or 'band_edge', got \"edge\""
    ]


def test_negative_cooldown_is_refused(problems: Problems) -> None:
    found = problems({"cooldown_days = 2": "cooldown_days = -1"})
    assert found == [
        "FILE: portfolios.core.cooldown_days: expected greater than or equal to 0, got -1"
    ]


def test_set_aside_days_defaults_to_30_and_takes_zero_for_never(load: Load) -> None:
    assert load().portfolios["core"].set_aside_days == 30
    config = load({"cooldown_days = 2": "cooldown_days = 2\nset_aside_days = 0"})
    assert config.portfolios["core"].set_aside_days == 0


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("-1", "expected greater than or equal to 0, got -1"),
        ('"soon"', 'expected a whole number, got "soon"'),
        ("1.5", "expected a whole number, got 1.5"),
    ],
)
def test_wrong_set_aside_days_are_refused_naming_the_key(
    problems: Problems, written: str, expected: str
) -> None:
    found = problems({"cooldown_days = 2": f"cooldown_days = 2\nset_aside_days = {written}"})
    assert found == [f"FILE: portfolios.core.set_aside_days: {expected}"]


def test_missing_required_keys_are_named(problems: Problems) -> None:
    found = problems({'quote = "USDT"\n': ""})
    assert "FILE: portfolios.core.quote: is required" in found


def test_every_problem_is_reported_at_once(problems: Problems) -> None:
    found = problems(
        {
            "cooldown_days = 2": "cooldown_days = -1",
            'every = "monthly"': 'every = "fortnightly"',
            'exchange = "okx"': 'exchange = "OKX"',
        },
        extra='[daemon]\nlog_format = "xml"\n',
    )
    locations = [line.split(": ")[1] for line in found]
    assert locations == [
        "daemon.log_format",
        "portfolios.core.calendar.every",
        "portfolios.core.cooldown_days",
        "venues.okx.exchange",
    ]


def test_per_asset_band_for_an_asset_without_weight_is_refused(problems: Problems) -> None:
    found = problems({'per_asset = { SOL = "8" }': 'per_asset = { SOL = "8", XRP = "3" }'})
    assert found == ["FILE: portfolios.core.drift_band.per_asset.XRP: XRP has no target in weights"]


@pytest.mark.parametrize("percent", ['"0"', "0", '"100.5"', '"-5"'])
def test_band_percent_must_be_in_zero_to_100(problems: Problems, percent: str) -> None:
    found = problems({'percent = "5"': f"percent = {percent}"})
    assert len(found) == 1
    assert found[0].startswith("FILE: portfolios.core.drift_band.percent: expected ")


def test_band_type_must_be_absolute_or_relative(problems: Problems) -> None:
    found = problems({'type = "absolute"': 'type = "abs"'})
    assert found == [
        "FILE: portfolios.core.drift_band.type: expected 'absolute' or 'relative', got \"abs\""
    ]


def test_relative_band_with_a_zero_cash_target_loads(load: Load) -> None:
    config = load(
        {'type = "absolute"': 'type = "relative"', 'BTC = "40"': 'BTC = "60"', 'USDT = "20"': ""}
    )
    policy = config.policy("core")
    assert policy.weights["USDT"] == 0
    assert policy.drift_band is not None


def test_portfolio_without_band_or_calendar_loads(load: Load) -> None:
    config = load({BAND_TABLE: "", CALENDAR_TABLE: ""})
    policy = config.policy("core")
    assert policy.drift_band is None
    assert policy.calendar is None


def test_cash_reserve_on_a_venue_the_portfolio_does_not_use_is_refused(
    problems: Problems,
) -> None:
    found = problems(extra='[portfolios.core.cash_reserve]\nkraken = "5"\nokx = "1"\n')
    assert found == [
        "FILE: portfolios.core.cash_reserve.kraken: kraken is not one of the portfolio's venues "
        "(binance, okx)",
    ]


def test_negative_cash_reserve_is_refused(problems: Problems) -> None:
    found = problems(extra='[portfolios.core.cash_reserve]\nokx = "-1"\n')
    assert found == [
        'FILE: portfolios.core.cash_reserve.okx: expected greater than or equal to 0, got "-1"'
    ]


def test_forbidding_the_quote_asset_is_refused(problems: Problems) -> None:
    found = problems(extra='[portfolios.core.forbidden_assets]\nokx = ["USDT"]\n')
    assert found == [
        "FILE: portfolios.core.forbidden_assets.okx: the quote asset USDT cannot be forbidden: "
        "every trade uses it"
    ]


def test_an_asset_with_a_target_forbidden_on_every_venue_is_refused(problems: Problems) -> None:
    found = problems(extra='[portfolios.core.forbidden_assets]\nokx = ["SOL"]\nbinance = ["SOL"]\n')
    assert found == [
        "FILE: portfolios.core.forbidden_assets: SOL has a target of 10% but every venue forbids it"
    ]


def test_limits_are_checked_and_named(problems: Problems) -> None:
    found = problems(
        extra="[portfolios.core.limits]\n"
        'min_trade_notional = "-1"\nmax_trades_per_run = 0\nmax_order_notional = "0"\n'
        'on_small_trade = "shrink"\n'
    )
    assert [line.split(": ")[1] for line in found] == [
        "portfolios.core.limits.max_order_notional",
        "portfolios.core.limits.max_trades_per_run",
        "portfolios.core.limits.min_trade_notional",
        "portfolios.core.limits.on_small_trade",
    ]


def test_band_edge_margin_and_target_tolerance_are_checked(problems: Problems) -> None:
    found = problems(
        {
            "cooldown_days = 2": 'cooldown_days = 2\nband_edge_margin_percent = "100"\n'
            'target_tolerance_percent = "-1"'
        }
    )
    assert [line.split(": ")[1] for line in found] == [
        "portfolios.core.band_edge_margin_percent",
        "portfolios.core.target_tolerance_percent",
    ]


def test_the_old_band_margin_key_says_where_it_moved(problems: Problems) -> None:
    found = problems(extra='[portfolios.core.limits]\nband_margin_percent = "10"\n')
    assert found == [
        "FILE: portfolios.core.limits.band_margin_percent: unknown key (moved: write "
        "band_edge_margin_percent in [portfolios.NAME] (percent of the band's half-width a "
        "band_edge run lands inside the edge))"
    ]


def test_execution_choices_are_checked(problems: Problems) -> None:
    found = problems(
        extra='[portfolios.core.execution]\norder_type = "stop"\non_limit_timeout = "wait"\n'
        "limit_timeout_s = 0\nmax_rounds = 0\n"
    )
    assert found == [
        "FILE: portfolios.core.execution.limit_timeout_s: expected greater than 0, got 0",
        "FILE: portfolios.core.execution.max_rounds: expected greater than or equal to 1, got 0",
        "FILE: portfolios.core.execution.on_limit_timeout: expected 'reprice' or 'market', "
        'got "wait"',
        "FILE: portfolios.core.execution.order_type: expected 'market' or 'limit', got \"stop\"",
    ]


def test_two_portfolios_cannot_share_a_venue(problems: Problems) -> None:
    second = (
        '[portfolios.alt]\nquote = "USDT"\nvenues = ["okx"]\n'
        '[portfolios.alt.weights]\nBTC = "50"\nUSDT = "50"\n'
    )
    found = problems(extra=second)
    assert found == [
        "FILE: portfolios.alt.venues[0]: okx is already used by portfolio core: each portfolio "
        "needs its own exchange account (a sub-account is a separate [venues.*] table)"
    ]


def test_a_list_where_an_amount_belongs_is_refused(problems: Problems) -> None:
    found = problems(extra="[portfolios.core.approval]\nrequired_above_notional = [1]\n")
    assert found == [
        "FILE: portfolios.core.approval.required_above_notional: "
        'expected a decimal number such as "5" or "0.25"'
    ]
