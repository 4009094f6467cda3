"""Secrets from systemd credentials: files in $CREDENTIALS_DIRECTORY named like our variables."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.settings.conftest import Load

from rebalancer.domain.errors import ConfigError
from rebalancer.settings.credentials import credential_variable

SECRET = "s3cr3t-from-a-credential"


def credentials(tmp_path: Path, **files: str) -> dict[str, str]:
    """A credentials directory holding ``files`` and the environment that names it."""
    directory = tmp_path / "credentials"
    directory.mkdir()
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return {"CREDENTIALS_DIRECTORY": str(directory)}


def test_a_credential_file_supplies_the_variable_it_is_named_after(
    tmp_path: Path, load: Load
) -> None:
    env = credentials(
        tmp_path,
        REBALANCER_VENUES__BINANCE__API_KEY="key-from-a-credential\n",  # as `echo` writes it
        REBALANCER_VENUES__BINANCE__SECRET=SECRET,
    )
    binance = load(env=env).venues["binance"]
    assert binance.api_key is not None
    assert binance.api_key.get_secret_value() == "key-from-a-credential"
    assert binance.secret is not None
    assert binance.secret.get_secret_value() == SECRET


def test_a_directory_loaded_credential_keeps_working_with_systemds_id_prefix(
    tmp_path: Path, load: Load
) -> None:
    env = credentials(
        tmp_path,
        rebalancer_REBALANCER_VENUES__OKX__API_KEY="okx-key",
        rebalancer_REBALANCER_VENUES__OKX__SECRET="okx-secret",
    )
    assert load(env=env).venues["okx"].has_credentials


@pytest.mark.parametrize(
    ("file_name", "variable"),
    [
        ("REBALANCER_API__TOKEN", "REBALANCER_API__TOKEN"),
        ("rebalancer_REBALANCER_API__TOKEN", "REBALANCER_API__TOKEN"),
        ("REBALANCER_REBALANCER_API__TOKEN", "REBALANCER_API__TOKEN"),
        ("tls.key", None),
        ("my_token", None),
    ],
)
def test_only_files_named_like_our_variables_are_read(file_name: str, variable: str | None) -> None:
    assert credential_variable(file_name) == variable


def test_other_credentials_are_left_alone(tmp_path: Path, load: Load) -> None:
    env = credentials(tmp_path, **{"tls.key": "not ours"})
    assert not load(env=env).venues["binance"].has_credentials


def test_a_secret_given_twice_differently_is_refused_without_showing_either(
    tmp_path: Path, load: Load
) -> None:
    env = credentials(tmp_path, REBALANCER_VENUES__BINANCE__SECRET=SECRET)
    env["REBALANCER_VENUES__BINANCE__SECRET"] = "another-secret-value"
    env["REBALANCER_VENUES__BINANCE__API_KEY"] = "key"
    with pytest.raises(ConfigError) as refused:
        load(env=env)
    text = str(refused.value)
    assert "REBALANCER_VENUES__BINANCE__SECRET: is set both in the environment and" in text
    assert SECRET not in text
    assert "another-secret-value" not in text


def test_the_same_secret_given_both_ways_is_fine(tmp_path: Path, load: Load) -> None:
    env = credentials(tmp_path, REBALANCER_VENUES__BINANCE__SECRET=SECRET)
    env["REBALANCER_VENUES__BINANCE__SECRET"] = SECRET
    env["REBALANCER_VENUES__BINANCE__API_KEY"] = "k"
    assert load(env=env).venues["binance"].has_credentials


def test_an_unreadable_credentials_directory_is_a_problem_naming_it(
    tmp_path: Path, load: Load
) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ConfigError) as refused:
        load(env={"CREDENTIALS_DIRECTORY": str(missing)})
    assert f"{missing}: CREDENTIALS_DIRECTORY: cannot be read" in str(refused.value)


def test_a_credential_that_is_not_text_is_a_problem_naming_the_file(
    tmp_path: Path, load: Load
) -> None:
    env = credentials(tmp_path)
    path = Path(env["CREDENTIALS_DIRECTORY"]) / "REBALANCER_API__TOKEN"
    path.write_bytes(b"\xff\xfe binary")
    with pytest.raises(ConfigError) as refused:
        load(env=env)
    assert f"{path}: REBALANCER_API__TOKEN: is not UTF-8 text" in str(refused.value)
