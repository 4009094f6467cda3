"""What check-config says about a valid config, and the JSON Schema editors read."""

from __future__ import annotations

import pytest
from tests.unit.settings.conftest import BAND_TABLE, CALENDAR_TABLE, Load

from rebalancer.settings.schema import config_schema
from rebalancer.settings.summary import calendar_text, duration_text, summary_lines
from rebalancer.settings.triggers import CalendarConfig


@pytest.mark.parametrize(
    ("every", "day", "months", "words"),
    [
        ("weekly", "monday", None, "every Monday, 00:00 UTC"),
        ("monthly", "1", None, "on day 1 of every month, 00:00 UTC"),
        (
            "monthly",
            "31",
            None,
            "on day 31 of every month (the last day in shorter months), 00:00 UTC",
        ),
        ("quarterly", "15", None, "on day 15 of January, April, July and October, 00:00 UTC"),
        ("quarterly", "1", [6, 12], "on day 1 of June and December, 00:00 UTC"),
        ("annually", "03-01", None, "every year on 1 March, 00:00 UTC"),
        (
            "annually",
            "02-29",
            None,
            "every year on 29 February (28 February in other years), 00:00 UTC",
        ),
    ],
)
def test_the_schedule_is_described_in_words(
    every: str, day: str, months: list[int] | None, words: str
) -> None:
    rule = CalendarConfig.model_validate({"every": every, "day": day, "months": months})
    assert calendar_text(rule) == words


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(300, "5 min"), (1800, "30 min"), (7200, "2 h"), (45, "45 s"), (90, "90 s")],
)
def test_durations_are_described_in_the_largest_whole_unit(seconds: int, words: str) -> None:
    assert duration_text(seconds) == words


def test_the_summary_names_targets_bands_schedule_and_cooldown(load: Load) -> None:
    lines = summary_lines(load())
    assert lines[:8] == [
        "portfolio core: valued in USDT, on binance, okx",
        "  targets: BTC 40%, ETH 30%, SOL 10%, USDT 20% (cash)",
        "  drift band: absolute, ±5 points; SOL ±8 points",
        "  calendar: on day 1 of every month, 00:00 UTC",
        "  rebalance to: the band edge (least turnover), 20% of the half-band inside; "
        "cooldown: 2 days",
        "  withdrawals: the cash raised is set aside, out of the portfolio, up to 30 days",
        "  execution: market orders, up to 3 rounds per run",
        "venues:",
    ]
    assert lines[-3:] == [
        "routes: none (no transfers between venues)",
        "api: off",
        "alerts: none (alerts go to the log only)",
    ]


def test_the_summary_says_when_set_aside_cash_counts_again(load: Load) -> None:
    never = summary_lines(load({"cooldown_days = 2": "cooldown_days = 2\nset_aside_days = 0"}))
    assert (
        "  withdrawals: the cash raised is set aside, out of the portfolio, "
        "until withdrawn or released" in never
    )


def test_a_relative_band_is_described_as_percent_of_target(load: Load) -> None:
    lines = summary_lines(load({'type = "absolute"': 'type = "relative"'}))
    assert "  drift band: relative, ±5% of the target; SOL ±8% of the target" in lines


def test_a_portfolio_without_triggers_says_it_only_runs_when_asked(load: Load) -> None:
    lines = summary_lines(load({BAND_TABLE: "", CALENDAR_TABLE: ""}))
    assert "  drift band: none (calendar only)" in lines
    assert "  calendar: none (drift only)" in lines
    assert "  no drift band and no calendar: it rebalances only when asked to" in lines


def test_the_schema_forbids_unknown_keys_in_every_table() -> None:
    schema = config_schema()
    assert schema["additionalProperties"] is False
    for name, definition in schema["$defs"].items():
        if definition.get("type") == "object":
            assert definition.get("additionalProperties") is False, name


def test_the_schema_names_keys_as_written_in_the_file() -> None:
    schema = config_schema()
    assert set(schema["properties"]) == {
        "portfolios",
        "venues",
        "routes",
        "risk",
        "daemon",
        "market_data",
        "api",
        "alerts",
        "backtest",
    }
    route = schema["$defs"]["RouteConfig"]
    assert {"from", "to"} <= set(route["properties"])
    assert set(route["required"]) == {
        "asset",
        "network",
        "from",
        "to",
        "fee",
        "min_amount",
        "eta_s",
    }


def test_the_schema_accepts_percents_as_numbers_or_strings_with_bounds() -> None:
    band = config_schema()["$defs"]["DriftBandConfig"]["properties"]["percent"]
    assert {"type": "number", "exclusiveMinimum": 0, "maximum": 100} in band["anyOf"]
    assert {"type": "string"} in band["anyOf"]
