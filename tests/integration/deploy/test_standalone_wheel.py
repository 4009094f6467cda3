"""The wheel stands alone: in a fresh venv outside the repository, with only the wheel and the
lock's dependencies (installed exactly as the container image installs them), the commands a
new user starts with work, and so does the image's own command.

There is no container engine here; ``standalone`` (conftest) builds the wheel from the files
the Dockerfile's build stage copies and runs ``packaging/install.sh`` with the arguments the
Dockerfile's ``RUN`` gives it, its container paths mapped to a temporary directory.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from tests.fixtures.dockerfile import environment, exec_form, healthcheck, mapped

from .conftest import Standalone

# one xdist worker builds the wheel once for every test here
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("standalone-wheel")]


def test_the_wheel_holds_what_the_daemon_needs_and_nothing_of_the_repository(
    standalone: Standalone,
) -> None:
    names = zipfile.ZipFile(standalone.wheel).namelist()
    assert any(n.startswith("rebalancer/persistence/migrations/versions/0001") for n in names)
    assert "rebalancer/persistence/migrations/env.py" in names
    assert "rebalancer/exchange_sim/default_rules.py" in names  # the simulator's market rules
    for template in ("paper.toml", "paper-sim.toml", "live.toml"):
        assert f"rebalancer/templates/{template}" in names
    assert not [n for n in names if n.startswith(("tests/", "config/", "docs/"))]
    assert not [n for n in names if "shared" in n or n.endswith(".csv")]


def test_a_new_user_starts_from_the_wheel_alone(standalone: Standalone) -> None:
    where = standalone.run("--version")
    assert where.returncode == 0
    paper = standalone.root / "first" / "paper.toml"

    steps = [
        ("init-config", "--paper", str(paper)),
        ("check-config", str(paper)),
        ("db", "upgrade", "--config", str(paper)),
        ("run", "--once", "--config", str(paper)),
        ("runs", "--config", str(paper)),
        ("db", "current", "--config", str(paper)),
    ]
    outputs = {}
    for step in steps:
        result = standalone.run(*step)
        assert result.returncode == 0, f"{step}: {result.stdout}\n{result.stderr}"
        outputs[step[0]] = result.stdout + result.stderr
    assert "valid" in outputs["check-config"]
    assert "upgraded from empty" in outputs["db"] or "(head)" in outputs["db"]
    assert "ended FILLED" in outputs["run"] or "ended PARTIALLY_FILLED" in outputs["run"]
    assert "paper" in outputs["runs"]
    assert (paper.parent / "state" / "rebalancer.sqlite").is_file()


def test_the_installed_package_is_the_wheel_not_the_repository(standalone: Standalone) -> None:
    python = standalone.bin / "python"
    found = subprocess.run(
        [str(python), "-c", "import rebalancer; print(rebalancer.__file__)"],
        cwd=standalone.root,
        env=standalone.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert found.stdout.startswith(str(standalone.places["/opt/rebalancer"]))


def test_the_images_command_runs_and_its_health_check_passes_then_fails_once_stopped(
    standalone: Standalone,
) -> None:
    secrets = standalone.root / "run-secrets"  # what compose mounts as /run/secrets
    secrets.mkdir()
    (secrets / "REBALANCER_API__TOKEN").write_text(f"{secrets_token()}\n", encoding="utf-8")
    env = standalone.env(CREDENTIALS_DIRECTORY=str(secrets))
    for key, value in environment().items():
        env[key] = mapped(value.replace("$PATH", env["PATH"]), standalone.places)
    # tests bind to loopback only, on a free port; the image's own address is 0.0.0.0:8787
    assert env["REBALANCER_API__HOST"] == "0.0.0.0"
    env |= {"REBALANCER_API__HOST": "127.0.0.1", "REBALANCER_API__PORT": str(free_port())}
    argv = [mapped(word, standalone.places) for word in exec_form("ENTRYPOINT") + exec_form("CMD")]
    argv[0] = str(standalone.bin / argv[0])
    options, probe = healthcheck()
    probe = [mapped(word, standalone.places) for word in probe]
    probe[0] = str(standalone.bin / probe[0])
    assert _seconds(options["timeout"]) >= 20  # two API calls of up to 10 s each

    log = standalone.root / "container.log"
    with log.open("wb") as output:
        daemon = subprocess.Popen(argv, cwd=standalone.root, env=env, stdout=output, stderr=output)
    try:
        _wait_for(log, "rebalancer running", daemon, timeout_s=120)
        start_period = _seconds(options["start-period"])
        verdict = _until_healthy(probe, env, standalone.root, daemon, start_period)
        assert verdict["reachable"] is True
        assert verdict["health"]["healthy"] is True
        assert [p["name"] for p in verdict["portfolios"]] == ["paper"]
        daemon.send_signal(signal.SIGTERM)  # what `docker stop` sends through the init
        assert daemon.wait(timeout=120) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(timeout=10)
    assert "rebalancer stopped" in log.read_text(encoding="utf-8")
    stopped = subprocess.run(
        probe, env=env, cwd=standalone.root, capture_output=True, timeout=60, check=False
    )
    assert stopped.returncode == 1  # unhealthy: nothing answers


def secrets_token() -> str:
    return "a-token-for-the-health-check-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _seconds(value: str) -> float:
    """A Dockerfile duration such as ``30s`` or ``2m``, in seconds."""
    return float(value[:-1]) * {"s": 1, "m": 60, "h": 3600}[value[-1]]


def _until_healthy(
    probe: list[str],
    env: dict[str, str],
    cwd: Path,
    daemon: subprocess.Popen[bytes],
    timeout_s: float,
) -> dict[str, Any]:
    """Run the health check as Docker would until it passes (within the start period)."""
    deadline = time.monotonic() + timeout_s
    while True:
        done = subprocess.run(
            probe, env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
        )
        if done.returncode == 0:
            return dict(json.loads(done.stdout))
        assert daemon.poll() is None, "the daemon exited during its start period"
        assert time.monotonic() < deadline, f"never healthy: {done.stdout}{done.stderr}"
        time.sleep(1)


def _wait_for(log: Path, text: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while text not in log.read_text(encoding="utf-8", errors="replace"):
        if process.poll() is not None:
            raise AssertionError(f"exited {process.returncode}:\n{log.read_text('utf-8')}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {text!r} within {timeout_s} s:\n{log.read_text('utf-8')}")
        time.sleep(0.2)
