"""A run replays: each round's stored snapshot plans to the stored plan, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rebalancer.cli import main

from .conftest import ThreadSim


def test_every_round_of_a_run_replays_to_the_same_plan_until_the_policy_changes(
    external_config: Path,
    thread_sim: ThreadSim,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", "--config", str(external_config), "--once"]) == 0
    capsys.readouterr()
    assert main(["runs", "--config", str(external_config), "--json"]) == 0
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    assert run["rounds"] >= 1

    # one stored snapshot, through `plan`, gives the stored plan
    assert (
        main(["runs", "show", run["id"], "--snapshot", "1", "--config", str(external_config)]) == 0
    )
    snapshot = tmp_path / "round1.json"
    snapshot.write_text(capsys.readouterr().out, encoding="utf-8")
    args = ["--config", str(external_config), "--portfolio", "core", "--snapshot", str(snapshot)]
    assert main(["plan", *args, "--json"]) == 0
    planned = capsys.readouterr().out
    assert main(["runs", "show", run["id"], "--json", "--config", str(external_config)]) == 0
    stored = json.loads(capsys.readouterr().out)["rounds"][0]["plan"]
    assert json.loads(planned) == stored

    # every round at once
    assert main(["replay", run["id"], "--config", str(external_config)]) == 0
    out = capsys.readouterr().out
    assert f"{run['rounds']} of {run['rounds']} round(s) identical" in out
    assert "round 1: identical" in out

    # a changed band plans differently, and replay says where
    text = external_config.read_text(encoding="utf-8")
    external_config.write_text(text.replace('percent = "5"', 'percent = "1"'), encoding="utf-8")
    assert main(["replay", run["id"], "--config", str(external_config)]) == 1
    out = capsys.readouterr().out
    assert "round 1: differs:" in out
    assert "--- stored" in out


def test_replay_and_snapshot_of_what_is_not_there_exit_2(
    external_config: Path, thread_sim: ThreadSim, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--config", str(external_config), "--once"]) == 0
    assert main(["replay", "nosuchrun", "--config", str(external_config)]) == 2
    assert "no run nosuchrun" in capsys.readouterr().err
    assert main(["runs", "--config", str(external_config), "--json"]) == 0
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    assert (
        main(["runs", "show", run["id"], "--snapshot", "99", "--config", str(external_config)]) == 2
    )
    assert "has no round 99" in capsys.readouterr().err
