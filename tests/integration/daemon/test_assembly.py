"""The composition root's translations: config tables to service settings, what a reload may
change, which symbols are watched, and the systemd environment."""

from __future__ import annotations

import os
from dataclasses import fields
from decimal import Decimal
from pathlib import Path

from tests.e2e.harness import write_daemon_config

from rebalancer.core.pretrade import PretradeLimits
from rebalancer.runtime.assembly import (
    breaker_limits,
    execution_settings,
    market_data_settings,
    recovery_settings,
    transfer_poll_s,
    watched_symbols,
)
from rebalancer.runtime.gateways import config_secrets, venue_spec
from rebalancer.runtime.reload import restart_needed
from rebalancer.runtime.systemd import SystemdNotifier
from rebalancer.services.execution_settings import ExecutionSettings, LimitFallback, OrderStyle
from rebalancer.settings import AppConfig, VenueConfig, load_config


def config_at(tmp_path: Path, **options: object) -> AppConfig:
    path = write_daemon_config(
        tmp_path / "c.toml",
        state_dir=tmp_path / "state",
        connection=tmp_path / "conn.json",
        **options,  # type: ignore[arg-type]
    )
    return load_config(path, env={})


def test_portfolio_tables_become_the_executors_settings(tmp_path: Path) -> None:
    config = config_at(tmp_path, approval_above="2500")

    settings = execution_settings(config, "core")

    assert settings.approval_above_notional == Decimal(2500)
    assert settings.max_rounds == 3
    assert settings.transfers.arrival_timeout_s == 60
    assert settings.orders.style is OrderStyle.MARKET
    assert settings.orders.limit_fallback is LimitFallback.REPRICE
    assert settings.limits.max_price_move == Decimal("0.15")  # [risk] default 15 %
    assert settings.max_snapshot_age_s == config.market_data.max_age_s
    assert settings.orders.max_reprices == 2  # [execution] max_reprices default


def test_every_pretrade_limit_is_filled_from_its_one_config_key(tmp_path: Path) -> None:
    config = config_at(tmp_path, max_order_notional="1500")
    path = config.source_file
    assert path is not None
    path.write_text(
        path.read_text(encoding="utf-8")
        + '[risk]\nmax_notional_per_run = "20000"\nmax_notional_per_day = "50000"\n'
        + 'max_price_jump_percent = "12"\nmax_cross_venue_deviation_percent = "3"\n',
        encoding="utf-8",
    )
    config = load_config(path, env={})

    limits = execution_settings(config, "core").limits

    assert limits == PretradeLimits(
        max_order_notional=Decimal(1500),
        max_run_notional=Decimal(20000),
        max_day_notional=Decimal(50000),
        max_price_move=Decimal("0.12"),
        max_venue_disagreement=Decimal("0.03"),
    )
    # the gate holds orders to the very cap the planner slices to
    assert limits.max_order_notional == config.policy("core").constraints.max_order_notional
    unset = [f.name for f in fields(PretradeLimits) if getattr(limits, f.name) is None]
    assert unset == []  # a new limit that assembly forgets to fill fails here


def test_each_venue_is_recovered_with_the_settings_of_the_portfolio_that_owns_it(
    tmp_path: Path,
) -> None:
    config = config_at(tmp_path)
    path = config.source_file
    assert path is not None
    path.write_text(
        path.read_text(encoding="utf-8")
        + '[portfolios.second]\nquote = "USDT"\nvenues = ["third"]\n'
        + '[portfolios.second.weights]\nBTC = "50"\nUSDT = "50"\n'
        + '[portfolios.second.execution]\ntransfer_timeout_s = 99\norder_type = "limit"\n'
        + '[venues.third]\nexchange = "binance"\n'
        + f'sim_connection = "{tmp_path / "conn.json"}"\n'
        + '[venues.spare]\nexchange = "okx"\n'
        + f'sim_connection = "{tmp_path / "conn.json"}"\n',
        encoding="utf-8",
    )
    config = load_config(path, env={})

    settings = recovery_settings(config)

    assert settings["binance"] == settings["okx"] == execution_settings(config, "core")
    assert settings["third"] == execution_settings(config, "second")
    assert settings["third"].transfers.arrival_timeout_s == 99
    assert settings["spare"] == ExecutionSettings()  # no portfolio trades there


def test_risk_and_market_data_tables_are_carried_over(tmp_path: Path) -> None:
    config = config_at(tmp_path)

    assert breaker_limits(config).max_slippage_bps == Decimal(100)  # 1 % default
    assert breaker_limits(config).max_consecutive_failures == 3
    assert market_data_settings(config).rest_poll_interval_s == 1


def test_every_portfolio_asset_is_watched_on_every_venue_of_the_portfolio(tmp_path: Path) -> None:
    assert watched_symbols(config_at(tmp_path)) == {
        "binance": ["BTC/USDT", "ETH/USDT"],
        "okx": ["BTC/USDT", "ETH/USDT"],
    }


def test_a_reload_may_change_portfolios_and_intervals_but_not_venues_or_state(
    tmp_path: Path,
) -> None:
    old = config_at(tmp_path)
    assert restart_needed(old, config_at(tmp_path, approval_above="1", check_interval_s=9)) == []
    assert restart_needed(old, config_at(tmp_path, shutdown_grace_s=1)) == [
        "daemon.shutdown_grace_s"
    ]
    moved = write_daemon_config(
        tmp_path / "moved.toml", state_dir=tmp_path / "other", connection=tmp_path / "conn.json"
    )
    changed = restart_needed(old, load_config(moved, env={}))
    assert changed == ["daemon.state_dir"]


def test_sim_connection_gives_the_venue_its_urls_and_keys_and_the_table_wins(
    tmp_path: Path,
) -> None:
    (tmp_path / "conn.json").write_text(
        '{"venues": {"okx": {"exchange": "okx", "urls": {"api": {"rest": "http://127.0.0.1:9"}},'
        ' "options": {}, "apiKey": "k", "secret": "s", "password": "p"}}}'
    )
    config = load_config(
        write_daemon_config(
            tmp_path / "c.toml", state_dir=tmp_path / "state", connection=tmp_path / "conn.json"
        ),
        env={"REBALANCER_VENUES__OKX__PASSWORD": "from-env-pass"},
    )

    spec = venue_spec("okx", config.venues["okx"], None)

    assert (spec.exchange, spec.api_key, spec.secret) == ("okx", "k", "s")
    assert spec.password == "from-env-pass"
    assert spec.urls["api"]["rest"] == "http://127.0.0.1:9"
    assert "from-env-pass" in config_secrets(config)


def test_systemd_notifier_is_silent_without_a_socket_and_halves_the_watchdog() -> None:
    assert not SystemdNotifier({}).enabled
    SystemdNotifier({}).notify("READY=1")  # nothing to send to, nothing raised

    notifier = SystemdNotifier({"NOTIFY_SOCKET": "@abstract", "WATCHDOG_USEC": "20000000"})
    assert notifier.enabled
    assert notifier.watchdog_interval_s == 10
    other = {"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1"}
    assert SystemdNotifier(other).watchdog_interval_s is None or os.getpid() == 1


def test_transfers_are_polled_at_a_quarter_of_the_quickest_route_within_limits(
    tmp_path: Path,
) -> None:
    fast = config_at(tmp_path, transfer_eta_s=1)
    slow = config_at(tmp_path, transfer_eta_s=600)
    paper = config_at(tmp_path, transfer_eta_s=8)

    assert transfer_poll_s(fast, fast.portfolio("core")) == 0.25
    assert transfer_poll_s(slow, slow.portfolio("core")) == 15
    assert transfer_poll_s(paper, paper.portfolio("core")) == 2


def test_a_venue_marked_sandbox_is_reached_on_its_testnet() -> None:
    venue = VenueConfig.model_validate({"exchange": "binance", "sandbox": True})
    assert venue_spec("binance", venue, None).sandbox is True
