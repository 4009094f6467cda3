"""The daemon's log: JSON lines on request, and no secret in any line whoever logs it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from rebalancer.cli import main

from .conftest import ThreadSim


def test_json_log_lines_are_objects_and_hide_the_venue_keys(
    external_config: Path, thread_sim: ThreadSim, capsys: pytest.CaptureFixture[str]
) -> None:
    connection = json.loads((external_config.parent / "connection.json").read_text())
    secret = connection["venues"]["binance"]["secret"]

    assert main(["run", "--config", str(external_config), "--once", "--log-format", "json"]) == 0
    logging.getLogger("rebalancer.test").warning("leaked %s", secret)  # as careless code would

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert {"at", "level", "logger", "message"} <= set(lines[0])
    assert any("ended FILLED" in line["message"] for line in lines)
    assert lines[-1]["message"] == "leaked ***"
    assert secret not in json.dumps(lines)


def test_configured_secrets_never_reach_the_log(
    paper_config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REBALANCER_VENUES__OKX__API_KEY", "okx-key-from-env-1234")
    monkeypatch.setenv("REBALANCER_VENUES__OKX__SECRET", "okx-secret-from-env-5678")

    assert main(["run", "--config", str(paper_config), "--once"]) == 0
    logging.getLogger("rebalancer.test").error("secret=okx-secret-from-env-5678")

    err = capsys.readouterr().err
    assert "secret=***" in err
    assert "okx-secret-from-env-5678" not in err
    assert "okx-key-from-env-1234" not in err
