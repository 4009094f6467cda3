"""When a stream counts as down, and what ``rebalancer status`` does without a daemon."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rebalancer.api.server import check_binding, is_loopback
from rebalancer.cli import main
from rebalancer.domain.errors import ConfigError
from rebalancer.services.health import stream_status
from rebalancer.services.streams import StreamHealth

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
WINDOW_S = 6.0


def health(**fields: object) -> StreamHealth:
    return StreamHealth("binance:quotes", NOW - timedelta(minutes=5), **fields)  # type: ignore[arg-type]


def test_a_stream_that_keeps_failing_to_reconnect_is_down() -> None:
    dropping = health(connected=False, drops=4, last_drop_at=NOW - timedelta(seconds=2))
    assert stream_status(dropping, NOW, WINDOW_S).down


def test_a_stream_that_reconnected_but_has_nothing_to_say_stops_counting_as_down() -> None:
    quiet = health(connected=False, drops=1, last_drop_at=NOW - timedelta(seconds=30))
    assert not stream_status(quiet, NOW, WINDOW_S).down


def test_a_speaking_or_never_dropped_stream_is_not_down() -> None:
    speaking = health(connected=True, last_message_at=NOW - timedelta(seconds=1))
    never_spoke = health(connected=False)
    assert not stream_status(speaking, NOW, WINDOW_S).down
    assert stream_status(speaking, NOW, WINDOW_S).age_s == 1.0
    assert not stream_status(never_spoke, NOW, WINDOW_S).down


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.9.9.9", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.0.0.5", False),
        ("example.org", False),
    ],
)
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_the_api_is_never_served_without_a_token() -> None:
    with pytest.raises(ConfigError, match=r"api\.token.*0\.0\.0\.0 \(not loopback\)"):
        check_binding("0.0.0.0", None)
    with pytest.raises(ConfigError, match="loopback address"):
        check_binding("127.0.0.1", "")
    assert check_binding("127.0.0.1", "t") == "t"


def _config(tmp_path: Path, api: str) -> Path:
    path = tmp_path / "rebalancer.toml"
    path.write_text(
        '[portfolios.core]\nquote = "USDT"\nvenues = ["binance"]\n'
        '[portfolios.core.weights]\nBTC = "50"\nUSDT = "50"\n'
        '[venues.binance]\nexchange = "binance"\nsimulated = true\n'
        f'[daemon]\nstate_dir = "{tmp_path / "state"}"\n{api}',
        encoding="utf-8",
    )
    return path


def test_status_without_the_api_enabled_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--config", str(_config(tmp_path, ""))]) == 2
    assert "[api] is not enabled" in capsys.readouterr().err
    assert not (tmp_path / "state").exists()


def test_status_of_a_daemon_that_does_not_answer_is_unhealthy_and_touches_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REBALANCER_API__TOKEN", "t")
    api = "[api]\nenabled = true\nport = 9\n"  # the discard port: nobody answers HTTP there
    config = _config(tmp_path, api)

    assert main(["status", "--config", str(config), "--json"]) == 1

    assert json.loads(capsys.readouterr().out)["reachable"] is False
    assert not (tmp_path / "state").exists()
