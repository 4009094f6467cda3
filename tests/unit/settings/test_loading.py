"""Finding and reading the file: paths, syntax errors, unknown keys, the shipped examples."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from tests.unit.settings.conftest import Load, Problems, WriteConfig

from rebalancer.domain.errors import ConfigError
from rebalancer.domain.policy import (
    BandType,
    CalendarEvery,
    CalendarRule,
    Constraints,
    DriftBand,
    Policy,
    RebalanceTo,
)
from rebalancer.settings import load_config

REPO = Path(__file__).resolve().parents[3]


def refused(path: str | Path | None, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, env=env or {})
    return [str(problem) for problem in caught.value.problems]


def test_a_missing_file_is_one_problem_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    assert refused(path) == [f"{path}: file: does not exist"]


def test_a_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('[portfolios.core]\nquote = "USDT\n', encoding="utf-8")
    found = refused(path)
    assert len(found) == 1
    assert found[0].startswith(f"{path}: line 2: is not valid TOML: ")


def test_a_duplicate_key_is_a_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "twice.toml"
    path.write_text('[daemon]\nlog_format = "text"\nlog_format = "json"\n', encoding="utf-8")
    assert refused(path)[0].startswith(f"{path}: line 3: is not valid TOML: ")


def test_the_path_may_come_from_rebalancer_config(write_config: WriteConfig) -> None:
    path = write_config()
    config = load_config(env={"REBALANCER_CONFIG": str(path)})
    assert config.source_file == path


def test_without_any_path_the_error_says_how_to_give_one() -> None:
    assert refused(None) == [
        "environment: file: no config file given: pass --config PATH or set REBALANCER_CONFIG"
    ]


def test_an_explicit_path_wins_over_rebalancer_config(write_config: WriteConfig) -> None:
    path = write_config()
    config = load_config(path, env={"REBALANCER_CONFIG": "/nonexistent.toml"})
    assert config.source_file == path


def test_unknown_keys_are_refused_with_the_closest_known_key(problems: Problems) -> None:
    found = problems(
        {"cooldown_days = 2": "cooldown_day = 2"},
        extra='[market_data]\nmax_age = 10\n[daemon]\ncolour = "blue"\n[telegram]\nchat = 1\n',
    )
    assert found == [
        "FILE: daemon.colour: unknown key (expected one of: state_dir, check_interval_s, "
        "log_format, database_url, shutdown_grace_s, misfire_grace_s, request_poll_s)",
        "FILE: market_data.max_age: unknown key (did you mean max_age_s?)",
        "FILE: portfolios.core.cooldown_day: unknown key (did you mean cooldown_days?)",
        "FILE: telegram: unknown key (expected one of: portfolios, venues, routes, risk, daemon, "
        "market_data, api, alerts, backtest)",
    ]


def test_unknown_keys_inside_a_route_are_refused(problems: Problems) -> None:
    route = (
        '[[routes]]\nasset = "BTC"\nnetwork = "BTC"\nfrom = "okx"\nto = "binance"\n'
        'fee = "0.0002"\nmin_amount = "0.001"\neta_s = 1800\nfees = "1"\n'
    )
    assert problems(extra=route) == ["FILE: routes[0].fees: unknown key (did you mean fee?)"]


def test_the_policy_is_the_pure_domain_type_with_decimals(load: Load) -> None:
    limits = (
        '[portfolios.core.limits]\nmin_trade_notional = "10"\nmax_trades_per_run = 5\n'
        '[portfolios.core.cash_reserve]\nokx = "25.5"\n'
        '[portfolios.core.forbidden_assets]\nokx = ["SOL"]\n'
    )
    policy = load(extra=limits).policy("core")
    assert policy == Policy(
        name="core",
        quote="USDT",
        venues=("binance", "okx"),
        weights={
            "BTC": Decimal(40),
            "ETH": Decimal(30),
            "SOL": Decimal(10),
            "USDT": Decimal(20),
        },
        rebalance_to=RebalanceTo.BAND_EDGE,
        drift_band=DriftBand(BandType.ABSOLUTE, Decimal(5), {"SOL": Decimal(8)}),
        calendar=CalendarRule(CalendarEvery.MONTHLY, "1"),
        cooldown_days=2,
        constraints=Constraints(
            min_trade_notional=Decimal(10),
            max_trades_per_run=5,
            cash_reserve={"okx": Decimal("25.5")},
            forbidden_assets={"okx": frozenset({"SOL"})},
        ),
    )


def test_an_unknown_portfolio_name_lists_the_known_ones(load: Load) -> None:
    config = load()
    with pytest.raises(KeyError, match=r"no portfolio named 'main' \(known: core\)"):
        config.policy("main")


def test_state_dir_defaults_next_to_the_config_file(load: Load, tmp_path: Path) -> None:
    daemon = load().daemon
    assert daemon.state_dir == tmp_path / "state"
    assert daemon.effective_database_url() == (
        f"sqlite+aiosqlite:///{tmp_path / 'state' / 'rebalancer.sqlite'}"
    )


def test_relative_state_dir_is_relative_to_the_config_file(load: Load, tmp_path: Path) -> None:
    daemon = load(extra='[daemon]\nstate_dir = "../var/bot"\n').daemon
    assert daemon.state_dir == tmp_path.parent / "var" / "bot"


def test_an_explicit_database_url_is_used_as_given(load: Load) -> None:
    url = "postgresql+asyncpg://bot:pw@127.0.0.1:5432/rebalancer"
    daemon = load(extra=f'[daemon]\ndatabase_url = "{url}"\n').daemon
    assert daemon.effective_database_url() == url


def test_the_config_is_frozen(load: Load) -> None:
    config = load()
    with pytest.raises(ValueError, match="frozen"):
        config.portfolios["core"].cooldown_days = 3  # type: ignore[misc]


@pytest.mark.parametrize("name", ["example.toml", "minimal.toml"])
def test_the_shipped_example_configs_load(name: str) -> None:
    config = load_config(REPO / "config" / name, env={})
    assert config.policy("core").weights["BTC"] == Decimal(40)
    assert set(config.venues) == {"binance", "okx"}


def test_the_example_config_has_the_four_routes() -> None:
    config = load_config(REPO / "config" / "example.toml", env={})
    routes = {(r.asset, r.source, r.destination): r for r in config.routes_for_snapshot()}
    assert set(routes) == {
        ("USDT", "binance", "okx"),
        ("USDT", "okx", "binance"),
        ("BTC", "binance", "okx"),
        ("BTC", "okx", "binance"),
    }
    assert routes["BTC", "okx", "binance"].fee == Decimal("0.0002")
    assert routes["USDT", "binance", "okx"].eta_s == 300


def test_the_process_environment_does_not_leak_into_an_explicit_env(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REBALANCER_PORTFOLIOS__CORE__COOLDOWN_DAYS", "9")
    path = write_config()
    assert load_config(path, env={}).portfolios["core"].cooldown_days == 2
    assert load_config(path).portfolios["core"].cooldown_days == 9
