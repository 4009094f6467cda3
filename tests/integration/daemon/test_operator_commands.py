"""What operators do beside the daemon: approve a waiting run, resume the breaker, and the
guarantee that only one daemon runs on a state directory."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from tests.e2e.harness import write_daemon_config

from rebalancer.cli import main
from rebalancer.core.breaker import TripReason
from rebalancer.domain.breaker import BreakerState
from rebalancer.persistence import open_store, sqlite_url
from rebalancer.runtime.clock import SystemClock
from rebalancer.runtime.instance_lock import InstanceLock
from rebalancer.services.breaker_keeper import BreakerKeeper

from .conftest import ThreadSim


def only_run(config: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert main(["runs", "--config", str(config), "--json"]) == 0
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    return dict(run)


def test_a_plan_above_the_approval_notional_waits_until_approved(
    tmp_path: Path, thread_sim: ThreadSim, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_daemon_config(
        tmp_path / "approve.toml",
        state_dir=tmp_path / "state",
        connection=tmp_path / "connection.json",
        approval_above="1000",
    )
    assert main(["run", "--config", str(config), "--once"]) == 0
    waiting = only_run(config, capsys)
    assert waiting["status"] == "AWAITING_APPROVAL"
    assert thread_sim.orders() == []  # nothing traded while waiting

    assert main(["run", "--config", str(config), "--once"]) == 0  # still waiting
    assert only_run(config, capsys)["status"] == "AWAITING_APPROVAL"

    assert main(["approve", str(waiting["id"]), "--config", str(config), "--by", "alice"]) == 0
    assert "approved by alice" in capsys.readouterr().out
    assert main(["run", "--config", str(config), "--once"]) == 0

    done = only_run(config, capsys)
    assert (done["id"], done["status"]) == (waiting["id"], "FILLED")
    assert thread_sim.orders()
    assert main(["runs", "show", str(done["id"]), "--config", str(config), "--json"]) == 0
    kinds = [e["kind"] for e in json.loads(capsys.readouterr().out)["events"]]
    assert "RunApproved" in kinds


def test_approving_a_run_that_is_not_waiting_is_refused(
    paper_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--config", str(paper_config), "--once"]) == 0
    run = only_run(paper_config, capsys)

    assert main(["approve", str(run["id"]), "--config", str(paper_config)]) == 1
    assert "is FILLED, not AWAITING_APPROVAL" in capsys.readouterr().err
    assert main(["approve", "nosuchrun", "--config", str(paper_config)]) == 2  # docs/cli.md
    assert main(["runs", "show", "nosuchrun", "--config", str(paper_config)]) == 2


def test_a_rejected_run_is_cancelled_and_never_traded(
    tmp_path: Path, thread_sim: ThreadSim, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_daemon_config(
        tmp_path / "reject.toml",
        state_dir=tmp_path / "state",
        connection=tmp_path / "connection.json",
        approval_above="1000",
    )
    assert main(["run", "--config", str(config), "--once"]) == 0
    waiting = only_run(config, capsys)

    assert main(["approve", str(waiting["id"]), "--config", str(config), "--reject"]) == 0

    assert only_run(config, capsys)["status"] == "CANCELLED"
    assert thread_sim.orders() == []


async def _halt(state_dir: Path) -> None:
    store = await open_store(sqlite_url(state_dir))
    try:
        keeper = BreakerKeeper(store, SystemClock())
        await keeper.trip(TripReason.MANUAL, "halted by the test", BreakerState.HALTED)
    finally:
        await store.close()


async def _resume_events(state_dir: Path) -> list[dict[str, object]]:
    store = await open_store(sqlite_url(state_dir))
    try:
        return [dict(e.payload) for e in await store.events() if e.kind == "BreakerResumed"]
    finally:
        await store.close()


def test_a_halted_breaker_stops_runs_until_a_person_resumes_it(
    tmp_path: Path, thread_sim: ThreadSim, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    config = write_daemon_config(
        tmp_path / "halt.toml", state_dir=state, connection=tmp_path / "connection.json"
    )
    asyncio.run(_halt(state))

    assert main(["run", "--config", str(config), "--once"]) == 0
    assert main(["runs", "--config", str(config), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"] == []
    assert thread_sim.orders() == []

    code = main(
        ["resume", "--config", str(config), "--reason", "checked the venues", "--by", "bob"]
    )

    assert code == 0
    assert "HALTED -> ACTIVE" in capsys.readouterr().out
    assert asyncio.run(_resume_events(state)) == [
        {"by": "bob", "reason": "checked the venues", "previous": "HALTED", "portfolio": None}
    ]
    assert main(["run", "--config", str(config), "--once"]) == 0
    assert only_run(config, capsys)["status"] == "FILLED"


def test_resume_needs_a_reason(paper_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["resume", "--config", str(paper_config), "--reason", "  "]) == 2
    assert "--reason" in capsys.readouterr().err


def test_resume_of_an_active_breaker_changes_nothing(
    paper_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["resume", "--config", str(paper_config), "--reason", "just in case"]) == 0
    assert "already ACTIVE" in capsys.readouterr().out


def test_a_second_daemon_on_the_same_state_directory_refuses_to_start(
    paper_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with InstanceLock(tmp_path / "state"):
        assert main(["run", "--config", str(paper_config), "--once"]) == 1

    assert f"pid {os.getpid()}" in capsys.readouterr().err
