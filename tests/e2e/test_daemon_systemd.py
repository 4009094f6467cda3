"""The daemon as the shipped unit starts it: ``systemd/rebalancer.service``'s exact ExecStart and
environment (its directories, its credentials, the journal as stderr, a notify socket and a
watchdog), with the sandbox settings a process can apply to itself (NoNewPrivileges,
MemoryDenyWriteExecute, UMask).

It must say READY=1 once recovered, ping WATCHDOG=1 regularly, wrap a SIGHUP in RELOADING=1 ..
READY=1, say STOPPING=1 on SIGTERM and exit 0; and it must send no WATCHDOG=1 while its event
loop is wedged or its scheduler has stalled (test-only fault points, ``runtime/fault_points``),
so that systemd would restart it. Everything over the real notify socket protocol.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fixtures.systemd_unit import exec_start, service, unit_environment

from .conftest import SimFactory
from .harness import REPO, child_env, write_daemon_config

pytestmark = pytest.mark.slow

CHECK_INTERVAL_S = 2.0
WATCHDOG_USEC = 1_000_000  # a ping every 0.5 s
PR_SET_NO_NEW_PRIVS = 38
PR_SET_MDWE = 65  # Linux 6.3+: refuse memory that is both writable and executable


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    yield sock
    sock.close()


class Notifications:
    """Every message the daemon sent, in order, read as the test needs them."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.seen: list[str] = []

    def until(self, wanted: Callable[[str], bool], what: str, timeout_s: float) -> list[str]:
        """Receive until a message satisfies ``wanted``; return everything since the call."""
        start = len(self.seen)
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            self._sock.settimeout(left)
            try:
                message = self._sock.recv(4096).decode()
            except TimeoutError:
                break
            self.seen.append(message)
            if wanted(message):
                return self.seen[start:]
        raise AssertionError(f"no {what} within {timeout_s} s; got {self.seen[start:]}")

    def field(self, field: str, timeout_s: float) -> list[str]:
        """Receive until a message carries ``field`` (e.g. ``READY=1``)."""
        return self.until(lambda m: field in m.split("\n"), field, timeout_s)

    def status(self, pattern: str, timeout_s: float) -> list[str]:
        """Receive until a ``STATUS=`` matches ``pattern``."""
        regex = re.compile(rf"(^|\n)STATUS={pattern}")
        return self.until(lambda m: regex.search(m) is not None, f"STATUS={pattern}", timeout_s)


def pings(messages: list[str]) -> int:
    return sum("WATCHDOG=1" in m.split("\n") for m in messages)


def keys_as_credentials(connection_file: Path, credentials: Path) -> Path:
    """Move the simulator's venue keys out of its connection file into credential files."""
    connection = json.loads(connection_file.read_text(encoding="utf-8"))
    credentials.mkdir(mode=0o700)
    for venue, entry in connection["venues"].items():
        for key, name in (("apiKey", "API_KEY"), ("secret", "SECRET"), ("password", "PASSWORD")):
            if value := entry.pop(key, None):
                path = credentials / f"REBALANCER_VENUES__{venue.upper()}__{name}"
                path.write_text(f"{value}\n", encoding="utf-8")
    keyless = connection_file.with_name("keyless-connection.json")
    keyless.write_text(json.dumps(connection), encoding="utf-8")
    return keyless


def sandbox() -> None:
    """In the child, before exec: what the unit's sandbox settings do to the process itself."""
    libc = ctypes.CDLL(None, use_errno=True)
    if service("NoNewPrivileges") == ["yes"]:
        libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if service("MemoryDenyWriteExecute") == ["yes"]:
        libc.prctl(PR_SET_MDWE, 1, 0, 0, 0)  # older kernels refuse; the rest still applies
    (umask,) = service("UMask")
    os.umask(int(umask, 8))


def request_fault(directory: Path, fault: str, seconds: float) -> None:
    """Ask the daemon's test fault points for a fault (written whole, then renamed in place)."""
    staged = directory / f".{fault}"
    staged.write_text(str(seconds), encoding="utf-8")
    staged.rename(directory / fault)


def test_the_daemon_under_the_units_own_command_and_environment(
    tmp_path: Path, sim_factory: SimFactory, notify_socket: socket.socket
) -> None:
    sim = sim_factory()
    credentials = tmp_path / "credentials"
    keyless = keys_as_credentials(sim.connection_file, credentials)
    config_dir, state_dir, faults = tmp_path / "etc", tmp_path / "lib", tmp_path / "faults"
    config_dir.mkdir()
    faults.mkdir()
    write_daemon_config(
        config_dir / "config.toml",
        state_dir=state_dir,
        connection=keyless,
        check_interval_s=CHECK_INTERVAL_S,
    )
    env = {
        **child_env(),
        **unit_environment(config_dir=config_dir, state_dir=state_dir, credentials_dir=credentials),
        "NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
        "WATCHDOG_USEC": str(WATCHDOG_USEC),
        "REBALANCER_TEST_FAULTS": str(faults),
    }
    log_file = tmp_path / "journal.log"
    with log_file.open("ab") as journal:
        stat = os.fstat(journal.fileno())
        env["JOURNAL_STREAM"] = f"{stat.st_dev}:{stat.st_ino}"
        daemon = subprocess.Popen(
            exec_start(env, REPO / ".venv" / "bin"),
            stdout=journal,
            stderr=journal,
            env=env,
            preexec_fn=sandbox,  # noqa: PLW1509  # nothing else runs threads in the child
        )
    notes = Notifications(notify_socket)
    try:
        ready = notes.field("READY=1", timeout_s=90)[-1]
        assert "STATUS=checking 1 portfolio(s)" in ready
        notes.field("WATCHDOG=1", timeout_s=10)
        notes.field("WATCHDOG=1", timeout_s=10)

        daemon.send_signal(signal.SIGHUP)  # what ExecReload= does
        notes.field("RELOADING=1", timeout_s=20)
        notes.field("READY=1", timeout_s=20)

        # a wedged event loop: nothing runs, so no ping can go out until it is free again
        request_fault(faults, "wedge", 3)
        notes.status("test fault point: wedging", timeout_s=20)
        during = notes.status("test fault point: event loop unwedged", timeout_s=30)
        assert pings(during) == 0
        notes.field("WATCHDOG=1", timeout_s=10)

        # a stalled scheduler: the loop runs, but after two quiet intervals it stops pinging
        request_fault(faults, "stall", 4 * CHECK_INTERVAL_S + 2)
        notes.status("test fault point: pausing", timeout_s=20)
        notes.status("unhealthy: no check has started", timeout_s=30)
        during = notes.status("checking 1 portfolio\\(s\\)", timeout_s=60)
        assert pings(during) == 0
        assert any("check scheduler resumed" in m for m in during)
        notes.field("WATCHDOG=1", timeout_s=10)

        daemon.send_signal(signal.SIGTERM)
        notes.field("STOPPING=1", timeout_s=30)
        assert daemon.wait(timeout=60) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(timeout=10)

    journal_lines = log_file.read_text(encoding="utf-8").splitlines()
    assert journal_lines
    assert all(re.match(r"<[2-7]>", line) for line in journal_lines), journal_lines[:5]
    assert not any(re.match(r"<\d>\d{4}-", line) for line in journal_lines)  # the journal dates
    assert any(line.startswith("<4>WARNING") and "fault point" in line for line in journal_lines)
    text = "\n".join(journal_lines)
    assert "rebalancer stopped" in text
    for secret in credentials.iterdir():
        assert secret.read_text(encoding="utf-8").strip() not in text
    assert (state_dir / "rebalancer.sqlite").is_file()  # the database lives in StateDirectory
