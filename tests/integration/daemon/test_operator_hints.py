"""What the daemon tells a person to do works as printed: a run waiting for approval is a
WARNING whose hint, pasted into a shell, approves it (with the config named)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from tests.e2e.harness import write_daemon_config

from rebalancer.cli import main

from .conftest import ThreadSim


def test_a_run_waiting_for_approval_warns_with_a_command_that_approves_it(
    tmp_path: Path,
    thread_sim: ThreadSim,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = write_daemon_config(
        tmp_path / "approve.toml",
        state_dir=tmp_path / "state",
        connection=tmp_path / "connection.json",
        approval_above="1000",
    )
    assert main(["run", "--config", str(config), "--once"]) == 0
    log = capsys.readouterr().err
    (line,) = [line for line in log.splitlines() if "WARNING" in line and "awaits" in line]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ WARNING ", line)
    hint = re.search(r"`(rebalancer approve [^`]+)`", line)
    assert hint is not None
    words = shlex.split(hint[1])
    assert words[-2:] == ["--config", str(config.absolute())]

    monkeypatch.chdir(Path("/"))  # a shell anywhere: the hint names the config absolutely
    assert main(words[1:]) == 0
    assert "approved by" in capsys.readouterr().out
    assert main(["run", "--config", str(config), "--once"]) == 0
    assert "ended FILLED" in capsys.readouterr().err
    assert thread_sim.orders()
