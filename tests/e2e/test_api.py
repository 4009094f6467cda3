"""The HTTP API of a real daemon (subprocess) trading against the simulator (subprocess).

One daemon serves every test here: the token guards every path but /health; schemathesis
finds no server error or schema violation from the API's own OpenAPI document; the event
stream replays the log and delivers live events; /health (and ``rebalancer status``) turn
unhealthy when a venue's streams are dropped through the simulator's control plane, and
healthy again when they come back.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .api_harness import TOKEN, Api, EventReader, enable_api, free_port
from .faults_harness import disarm, inject, post
from .harness import (
    REPO,
    DaemonProcess,
    SimProcess,
    child_env,
    wait_for,
    write_daemon_config,
    write_sim_config,
)

pytestmark = pytest.mark.slow

SCHEMATHESIS = REPO / ".venv" / "bin" / "schemathesis"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, SimProcess, Path]]:
    """A simulator and a daemon with the API on a free loopback port, for the whole module."""
    root = tmp_path_factory.mktemp("api")
    sim = SimProcess(write_sim_config(root / "sim.toml"), root / "connection.json").start()
    port = free_port()
    config = enable_api(
        write_daemon_config(
            root / "daemon.toml", state_dir=root / "state", connection=root / "connection.json"
        ),
        port,
    )
    daemon = DaemonProcess(config, root / "daemon.log", env={"REBALANCER_API__TOKEN": TOKEN})
    try:
        daemon.start()
        daemon.wait_for_log(r"HTTP API on http://127\.0\.0\.1:\d+", timeout_s=60)
        api = Api(f"http://127.0.0.1:{port}")
        wait_for("the first run to end", lambda: _ended_runs(api), timeout_s=90)
        yield api, sim, config
    finally:
        daemon.stop()
        sim.stop()


def _ended_runs(api: Api) -> list[dict[str, Any]]:
    status, body, _ = api.get("/runs")
    assert status == 200, body
    return [r for r in body["runs"] if r["status"] in ("FILLED", "PARTIALLY_FILLED", "FAILED")]


def test_every_path_but_health_needs_the_bearer_token(
    world: tuple[Api, SimProcess, Path],
) -> None:
    api, _, _ = world
    status, document, _ = api.get("/openapi.json")
    assert status == 200
    assert document["openapi"] == "3.1.0"
    paths = [p.replace("{portfolio}", "core").replace("{run_id}", "x") for p in document["paths"]]

    for path in [*paths, "/openapi.json", "/no-such-path"]:
        if path == "/health":
            continue
        for token in (None, "wrong"):
            status, body, headers = api.get(path, token=token)
            assert status == 401, (path, token, body)
            assert body["error"] == "a valid bearer token is required"
            assert headers["WWW-Authenticate"].startswith("Bearer")

    status, body, _ = api.get("/health", token=None)
    assert status in (200, 503)
    assert body["breaker"] == "ACTIVE"


def test_bad_input_gets_a_4xx_naming_the_field(world: tuple[Api, SimProcess, Path]) -> None:
    api, _, _ = world

    status, body, _ = api.get("/runs?limit=0&colour=red")

    assert status == 422
    assert {p["field"] for p in body["problems"]} == {"query.limit", "query.colour"}
    assert api.get("/runs/no-such-run")[:2] == (
        404,
        {"status": 404, "error": "no run 'no-such-run'", "problems": []},
    )


def test_runs_and_a_run_read_as_the_runs_command_prints_them(
    world: tuple[Api, SimProcess, Path],
) -> None:
    api, _, config = world
    run = _ended_runs(api)[-1]

    status, detail, _ = api.get(f"/runs/{run['id']}")

    assert status == 200
    shown = subprocess.run(
        [
            str(REPO / ".venv/bin/rebalancer"),
            "runs",
            "show",
            run["id"],
            "--config",
            str(config),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**child_env(), "REBALANCER_API__TOKEN": TOKEN},
        check=True,
    )
    assert detail == json.loads(shown.stdout)
    names = [e["kind"] for e in detail["events"]]
    assert names[0] == "RunTriggered"
    assert "RunEnded" in names


def test_health_turns_503_when_a_venues_streams_drop_and_200_when_they_return(
    world: tuple[Api, SimProcess, Path], tmp_path: Path
) -> None:
    api, sim, config = world
    wait_for("a healthy daemon", lambda: api.get("/health")[0] == 200, timeout_s=60)
    replay = EventReader(f"{api.base}/events?after=0").start()
    live = EventReader(f"{api.base}/events").start()
    try:
        for path in ("/stream", "/ws"):  # market streams and the user data stream
            inject(sim.control, venue="binance", path=path, status=503, count=100_000)
        post(sim.control, "/websockets/close", {"venue": "binance"})

        status, health = wait_for("an unhealthy daemon", lambda: _unhealthy(api), timeout_s=60)
        assert status == 503
        assert any(p.startswith("binance:") and "stream down" in p for p in health["problems"])
        assert not any(p.startswith("okx:") for p in health["problems"])
        assert _status(config).returncode == 1
        wait_for("VenueStale live", lambda: "VenueStale" in live.names(), timeout_s=30)

        disarm(sim.control, "binance")
        wait_for("a healthy daemon again", lambda: api.get("/health")[0] == 200, timeout_s=90)
        wait_for("VenueRecovered live", lambda: "VenueRecovered" in live.names(), timeout_s=30)
        healthy = _status(config)
        assert healthy.returncode == 0, healthy.stdout + healthy.stderr
        assert json.loads(healthy.stdout)["health"]["healthy"] is True
    finally:
        disarm(sim.control, "binance")
        live.stop()
        replay.stop()
    stale = next(e for e in live.events if e["name"] == "VenueStale")
    assert stale["venue"] == "binance"
    assert stale["reasons"]
    replayed = replay.names()
    assert replayed[0] == "DaemonStarted"
    assert {"RunTriggered", "RoundPlanned", "OrderPlaced", "OrderFilled", "RunEnded"} <= set(
        replayed
    )
    assert replay.ids == sorted(set(replay.ids))  # increasing, none twice


def test_actions_go_through_the_operator_rules(world: tuple[Api, SimProcess, Path]) -> None:
    api, _, _ = world
    who = {"by": "ops-test"}

    status, paused, _ = api.post("/portfolios/core/pause", {**who, "reason": "books"})
    assert (status, paused["paused"], paused["by"]) == (200, True, "ops-test")
    assert api.get("/portfolios")[1]["portfolios"][0]["paused"] is True
    assert api.post("/portfolios/core/pause", who)[0] == 422  # a pause needs a reason
    assert api.post("/portfolios/core/unpause", who)[1]["paused"] is False

    status, accepted, _ = api.post("/runs", {"portfolio": "core", "run_type": "full", **who})
    assert status == 202, accepted
    run_id = accepted["run"]["id"]
    ended = wait_for("the requested run to end", lambda: _ended(api, run_id), timeout_s=90)
    names = [e["kind"] for e in ended["events"]]
    assert names[0] == "RunRequested"
    assert names[-1] == "RunEnded"
    assert ended["events"][0]["payload"]["by"] == "ops-test"

    status, refused, _ = api.post(f"/runs/{run_id}/cancel", who)
    assert status == 409
    assert "already ended" in refused["error"]
    assert api.post(f"/runs/{run_id}/approve", who)[0] == 409
    assert api.post("/runs/no-such-run/approve", who)[0] == 404
    status, body, _ = api.post("/runs", {"portfolio": "core", "run_type": "withdraw"})
    assert status == 422
    assert any(p["field"].endswith("amount") for p in body["problems"])
    assert api.post("/runs", {"portfolio": "nope", "run_type": "full"})[0] == 404
    resumed = api.post("/breaker/resume", {**who, "reason": "nothing to resume"})
    assert resumed[:2] == (200, {"before": "ACTIVE", "after": "ACTIVE", "changed": False})


def test_a_withdrawal_is_set_aside_shown_and_released_through_the_api(
    world: tuple[Api, SimProcess, Path],
) -> None:
    api, _, config = world
    ask = {"portfolio": "core", "run_type": "withdraw", "amount": "1000", "by": "ops-test"}
    status, accepted, _ = api.post("/runs", ask)
    assert status == 202, accepted
    run_id = accepted["run"]["id"]
    ended = wait_for("the withdraw to end", lambda: _ended(api, run_id), timeout_s=90)
    assert ended["run"]["status"] == "FILLED", ended["run"]

    held = [s for s in api.get("/portfolios/core")[1]["set_asides"] if s["run_id"] == run_id]
    assert [(s["amount"], s["active"]) for s in held] == [("1000", True)]
    shown = subprocess.run(
        [str(REPO / ".venv/bin/rebalancer"), "status", "--config", str(config)],
        capture_output=True, text=True, timeout=60, check=False,
        env={**child_env(), "REBALANCER_API__TOKEN": TOKEN},
    )  # fmt: skip
    assert f"set aside 1000 USDT on {held[0]['venue']}" in shown.stdout, shown.stdout
    release = f"/portfolios/core/set-asides/{held[0]['id']}/release"

    status, released, _ = api.post(release, {"by": "ops-test", "reason": "called off"})

    assert status == 200, released
    assert (released["active"], released["release_cause"]) == (False, "released")
    assert (released["released_by"], released["release_reason"]) == ("ops-test", "called off")
    assert api.post(release, {})[0] == 409  # released already
    assert api.post("/portfolios/core/set-asides/sa-none/release", {})[0] == 404
    assert all(s["id"] != held[0]["id"] for s in api.get("/portfolios/core")[1]["set_asides"])


def test_a_pause_made_at_a_shell_reaches_the_live_stream(
    world: tuple[Api, SimProcess, Path],
) -> None:
    api, _, config = world
    live = EventReader(f"{api.base}/events").start()
    try:
        for command in (["pause", "core", "--reason", "audit"], ["unpause", "core"]):
            done = subprocess.run(
                [str(REPO / ".venv/bin/rebalancer"), *command, "--config", str(config),
                 "--by", "shell-user"],
                capture_output=True, text=True, timeout=60, check=False,
                env={**child_env(), "REBALANCER_API__TOKEN": TOKEN},
            )  # fmt: skip
            assert done.returncode == 0, done.stdout + done.stderr
        wait_for("both on the stream", lambda: "PortfolioUnpaused" in live.names(), timeout_s=30)
    finally:
        live.stop()
    paused = next(e for e in live.events if e["name"] == "PortfolioPaused")
    assert (paused["by"], paused["reason"], paused["portfolio"]) == ("shell-user", "audit", "core")
    assert live.names().count("PortfolioPaused") == 1


def _ended(api: Api, run_id: str) -> dict[str, Any] | None:
    status, detail, _ = api.get(f"/runs/{run_id}")
    assert status == 200, detail
    terminal = ("FILLED", "PARTIALLY_FILLED", "FAILED", "CANCELLED")
    return detail if detail["run"]["status"] in terminal else None


def test_schemathesis_finds_no_server_error_or_schema_violation(
    world: tuple[Api, SimProcess, Path], tmp_path: Path
) -> None:
    api, _, _ = world
    done = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{api.base}/openapi.json",
            "--header",
            f"Authorization: Bearer {TOKEN}",
            "--checks",
            "all",
            "--max-examples",
            "15",
            "--exclude-path",
            "/events",  # an endless stream: tested below
            "--request-timeout",
            "15",
            "--seed",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=child_env(),
        check=False,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    counted = re.search(r"(\d+) generated, (\d+) passed", report)
    assert counted is not None, report
    assert counted[1] == counted[2], report  # every generated case passed every check
    assert int(counted[1]) > 100


def _unhealthy(api: Api) -> tuple[int, Any] | None:
    status, body, _ = api.get("/health", token=None)
    return (status, body) if status == 503 else None


def _status(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO / ".venv/bin/rebalancer"), "status", "--config", str(config), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**child_env(), "REBALANCER_API__TOKEN": TOKEN},
        check=False,
    )
