"""check-config refuses what the daemon would refuse at start, before anything trades."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from rebalancer.cli import main

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "config" / "example.toml"
PAPER = REPO / "config" / "paper.toml"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """``rebalancer run`` replaces the root log handlers; give the next tests theirs back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def variant(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / source.name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_an_exchange_ccxt_does_not_know_is_refused_by_check_config_as_by_the_daemon(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = variant(tmp_path, EXAMPLE, 'exchange = "okx"', 'exchange = "okxx"')
    config.write_text(config.read_text("utf-8").replace('"../state"', '"state"'), "utf-8")
    expected = "venues.okx.exchange: 'okxx' is not an exchange ccxt knows (did you mean 'okx'?)"

    assert main(["check-config", str(config)]) == 2
    assert f"{config}: {expected}" in capsys.readouterr().err

    assert main(["run", "--config", str(config), "--once"]) == 2  # the daemon: the same words
    assert expected in capsys.readouterr().err


def test_simulated_venues_without_their_simulator_config_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = variant(tmp_path, PAPER, "../state/paper", "state")  # no paper-sim.toml beside it
    assert main(["check-config", str(config)]) == 2
    assert "simulated venues need the simulator config" in capsys.readouterr().err
    assert (
        main(
            [
                "check-config",
                str(config),
                "--simulator-config",
                str(PAPER.with_name("paper-sim.toml")),
            ]
        )
        == 0
    )


def test_a_database_url_the_store_cannot_use_is_refused_without_showing_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REBALANCER_DAEMON__DATABASE_URL", "postgres://trader:hunter2@db/reb")
    assert main(["check-config", str(EXAMPLE)]) == 2
    err = capsys.readouterr().err
    assert "daemon.database_url: postgres:// is not supported: use sqlite+aiosqlite://" in err
    assert "hunter2" not in err


def test_a_missing_simulator_connection_file_is_refused_naming_the_venue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = variant(
        tmp_path,
        EXAMPLE,
        'exchange = "binance"',
        'exchange = "binance"\nsim_connection = "nope.json"',
    )
    assert main(["check-config", str(config)]) == 2
    assert "venues.binance.sim_connection: cannot read" in capsys.readouterr().err


def test_check_config_says_which_configured_parts_this_version_serves(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["check-config", str(EXAMPLE)]) == 0
    assert "this version serves every part this config sets up" in capsys.readouterr().out

    monkeypatch.setenv("REBALANCER_ALERTS__SLACK__WEBHOOK_URL", "https://hooks.example/T0/B0/x")
    assert main(["check-config", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "this version serves every part this config sets up" in out  # alerts are served
    assert "alerts: Slack (webhook)" in out
    assert "hooks.example" not in out
