"""``[risk]``, ``[daemon]`` and ``[market_data]``: defaults and cross-field rules."""

from __future__ import annotations

from decimal import Decimal

from tests.unit.settings.conftest import Load, Problems

from rebalancer.settings import LogFormat


def test_daemon_wide_tables_default_when_absent(load: Load) -> None:
    config = load()
    assert config.risk.max_notional_per_run is None
    assert config.risk.max_slippage_percent == Decimal(1)
    assert config.risk.failures_to_trip == 3
    assert config.daemon.log_format is LogFormat.TEXT
    assert config.daemon.misfire_grace_s == 300
    assert config.market_data.stream_silent_after_s < config.market_data.max_age_s


def test_risk_values_load_as_decimals(load: Load) -> None:
    risk = load(
        extra='[risk]\nmax_notional_per_run = "1000.50"\nmax_price_jump_percent = 7.5\n'
    ).risk
    assert risk.max_notional_per_run == Decimal("1000.50")
    assert risk.max_price_jump_percent == Decimal("7.5")


def test_a_run_limit_above_the_daily_limit_is_refused(problems: Problems) -> None:
    found = problems(extra='[risk]\nmax_notional_per_run = "500"\nmax_notional_per_day = "100"\n')
    assert found == ["FILE: risk.max_notional_per_run: is larger than max_notional_per_day"]


def test_risk_limits_must_be_positive(problems: Problems) -> None:
    found = problems(extra="[risk]\nmax_slippage_percent = 0\nfailures_to_trip = 0\n")
    assert found == [
        "FILE: risk.failures_to_trip: expected greater than or equal to 1, got 0",
        "FILE: risk.max_slippage_percent: expected greater than 0, got 0",
    ]


def test_market_data_intervals_must_fit_inside_max_age(problems: Problems) -> None:
    found = problems(extra="[market_data]\nmax_age_s = 5\nreconnect_initial_backoff_s = 90\n")
    assert found == [
        "FILE: market_data.reconnect_initial_backoff_s: must not exceed reconnect_max_backoff_s",
        "FILE: market_data.rest_poll_interval_s: must be less than max_age_s, "
        "or polled data is stale",
        "FILE: market_data.stream_silent_after_s: must be less than max_age_s, "
        "or data goes stale first",
    ]


def test_durations_must_be_positive(problems: Problems) -> None:
    found = problems(extra="[daemon]\ncheck_interval_s = 0\nshutdown_grace_s = -1\n")
    assert found == [
        "FILE: daemon.check_interval_s: expected greater than 0, got 0",
        "FILE: daemon.shutdown_grace_s: expected greater than or equal to 0, got -1",
    ]
