"""Secrets and overrides from the environment; secrets never appear in output or errors."""

from __future__ import annotations

import pytest
from tests.unit.settings.conftest import Load, Problems, WriteConfig

from rebalancer.domain.errors import ConfigError
from rebalancer.settings import load_config
from rebalancer.settings.summary import summary_lines

API_KEY = "AKIAEXAMPLEKEY000"
SECRET = "s3cr3t-DO-NOT-PRINT"
PASSPHRASE = "pass-DO-NOT-PRINT"
CREDENTIALS = {
    "REBALANCER_VENUES__BINANCE__API_KEY": API_KEY,
    "REBALANCER_VENUES__BINANCE__SECRET": SECRET,
    "REBALANCER_VENUES__OKX__PASSWORD": PASSPHRASE,
}


def test_credentials_come_from_the_environment(load: Load) -> None:
    config = load(env=CREDENTIALS)
    binance = config.venues["binance"]
    assert binance.api_key is not None
    assert binance.api_key.get_secret_value() == API_KEY
    assert binance.secret is not None
    assert binance.secret.get_secret_value() == SECRET
    assert binance.has_credentials
    assert config.venues["okx"].password is not None
    assert not config.venues["okx"].has_credentials


def test_environment_variable_names_are_case_insensitive(load: Load) -> None:
    config = load(
        env={"rebalancer_venues__binance__api_key": "k", "REBALANCER_VENUES__BINANCE__SECRET": "s"}
    )
    assert config.venues["binance"].has_credentials


def test_secrets_never_appear_in_repr_str_or_summary(load: Load) -> None:
    config = load(env=CREDENTIALS)
    rendered = "\n".join([repr(config), str(config), *summary_lines(config)])
    for secret in (API_KEY, SECRET, PASSPHRASE):
        assert secret not in rendered
    assert "  binance: ccxt binance, credentials set" in summary_lines(config)


def test_environment_overrides_the_file(load: Load) -> None:
    config = load(
        env={
            "REBALANCER_PORTFOLIOS__CORE__COOLDOWN_DAYS": "7",
            "REBALANCER_DAEMON__CHECK_INTERVAL_S": "15",
            "REBALANCER_DAEMON__LOG_FORMAT": "json",
        }
    )
    assert config.portfolios["core"].cooldown_days == 7
    assert config.daemon.check_interval_s == 15.0
    assert config.daemon.log_format == "json"


def test_an_empty_environment_variable_counts_as_unset(load: Load) -> None:
    config = load(env={"REBALANCER_VENUES__BINANCE__SECRET": ""})
    assert config.venues["binance"].secret is None


def test_a_bad_value_from_the_environment_is_attributed_to_it(problems: Problems) -> None:
    found = problems(env={"REBALANCER_PORTFOLIOS__CORE__COOLDOWN_DAYS": "soon"})
    assert found == [
        'environment: portfolios.core.cooldown_days: expected a whole number, got "soon"'
    ]


def test_a_venue_only_in_the_environment_still_needs_its_exchange(problems: Problems) -> None:
    found = problems(env={"REBALANCER_VENUES__KRAKEN__SECRET": SECRET})
    assert "environment: venues.kraken.exchange: is required" in found
    assert all(SECRET not in line for line in found)


def test_an_unknown_key_addressed_from_the_environment_is_refused(problems: Problems) -> None:
    found = problems(env={"REBALANCER_VENUES__BINANCE__SECRTE": SECRET})
    assert found == ["environment: venues.binance.secrte: unknown key (did you mean secret?)"]


def test_an_unknown_top_level_environment_setting_is_refused(problems: Problems) -> None:
    found = problems(env={"REBALANCER_DEAMON__STATE_DIR": "/tmp"})
    assert found == [
        "REBALANCER_DEAMON__STATE_DIR: deamon.state_dir: is not a config key "
        "(unknown environment variable)"
    ]


def test_other_rebalancer_variables_are_left_alone(load: Load) -> None:
    load(env={"REBALANCER_CONFIG": "elsewhere.toml", "REBALANCER_LOG_LEVEL": "debug"})


def test_a_secret_of_the_wrong_type_is_refused_without_showing_it(problems: Problems) -> None:
    found = problems({'exchange = "okx"': 'exchange = "okx"\npassword = 123456789'})
    assert found == ["FILE: venues.okx.password: expected a string"]


def test_api_key_without_secret_is_refused_without_showing_the_key(problems: Problems) -> None:
    found = problems(env={"REBALANCER_VENUES__BINANCE__API_KEY": API_KEY})
    assert found == [
        "FILE: venues.binance.secret: api_key and secret go together: set both or neither"
    ]


def test_a_misspelt_secret_key_in_the_file_is_refused_without_its_value(
    problems: Problems,
) -> None:
    found = problems({'exchange = "okx"': f'exchange = "okx"\nsecrte = "{SECRET}"'})
    assert found == ["FILE: venues.okx.secrte: unknown key (did you mean secret?)"]


def test_a_database_url_with_a_password_is_never_shown(problems: Problems) -> None:
    url = f"postgresql+asyncpg://bot:{SECRET}@127.0.0.1/rebalancer"
    found = problems(extra=f'[daemon]\ndatabase_url = "{url}"\nlog_format = "{SECRET}"\n')
    assert found == [f"FILE: daemon.log_format: expected 'text' or 'json', got \"{SECRET}\""]


def test_config_error_text_never_holds_an_environment_secret(write_config: WriteConfig) -> None:
    path = write_config({'every = "monthly"': 'every = "never"'})
    env = {**CREDENTIALS, "REBALANCER_VENUES__OKX__API_KEY": API_KEY}
    with pytest.raises(ConfigError) as caught:
        load_config(path, env=env)
    text = str(caught.value)
    assert "portfolios.core.calendar.every" in text
    for secret in (API_KEY, SECRET, PASSPHRASE):
        assert secret not in text


def test_a_table_set_from_the_environment_must_be_json(problems: Problems) -> None:
    found = problems(env={"REBALANCER_VENUES": f"not json {SECRET}"})
    assert found == [
        "environment: venues: expected a JSON value (the value is not shown: it may be secret)"
    ]


def test_secrets_written_in_the_file_are_pointed_out_without_their_values(load: Load) -> None:
    config = load(
        {'exchange = "okx"': f'exchange = "okx"\napi_key = "{API_KEY}"\nsecret = "{SECRET}"'},
        env={
            "REBALANCER_VENUES__BINANCE__API_KEY": API_KEY,
            "REBALANCER_VENUES__BINANCE__SECRET": SECRET,
        },
    )
    assert config.secrets_in_file == ("venues.okx.api_key", "venues.okx.secret")
    lines = summary_lines(config)
    assert (
        "note: venues.okx.secret is written in the file; "
        "prefer REBALANCER_VENUES__OKX__SECRET in the environment"
    ) in lines
    assert all(API_KEY not in line and SECRET not in line for line in lines)


def test_secrets_only_in_the_environment_draw_no_note(load: Load) -> None:
    config = load(env=CREDENTIALS)
    assert config.secrets_in_file == ()
    assert not [line for line in summary_lines(config) if line.startswith("note:")]
