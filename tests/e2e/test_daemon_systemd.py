"""systemd ``Type=notify``: READY after start-up, watchdog pings while running, RELOADING and
READY around a SIGHUP, STOPPING on SIGTERM; all over the real notify socket protocol."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import DaemonFactory, SimFactory
from .harness import write_daemon_config

pytestmark = pytest.mark.slow


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    yield sock
    sock.close()


def next_message(sock: socket.socket, wanted: str, timeout_s: float) -> str:
    """Receive notifications until one contains ``wanted``; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            message = sock.recv(4096).decode()
        except TimeoutError:
            break
        if wanted in message.split("\n"):
            return message
    raise AssertionError(f"no {wanted} notification within {timeout_s} s")


def test_the_daemon_tells_systemd_it_is_ready_alive_reloading_and_stopping(
    tmp_path: Path,
    sim_factory: SimFactory,
    daemon_factory: DaemonFactory,
    notify_socket: socket.socket,
) -> None:
    sim = sim_factory()
    config = write_daemon_config(
        tmp_path / "daemon.toml", state_dir=tmp_path / "state", connection=sim.connection_file
    )
    env = {"NOTIFY_SOCKET": str(tmp_path / "notify.sock"), "WATCHDOG_USEC": "1000000"}
    daemon = daemon_factory(config, env=env).start()

    ready = next_message(notify_socket, "READY=1", timeout_s=60)
    assert "STATUS=checking 1 portfolio(s)" in ready
    next_message(notify_socket, "WATCHDOG=1", timeout_s=5)
    next_message(notify_socket, "WATCHDOG=1", timeout_s=5)

    daemon.signal(signal.SIGHUP)
    next_message(notify_socket, "RELOADING=1", timeout_s=10)
    next_message(notify_socket, "READY=1", timeout_s=10)

    daemon.signal(signal.SIGTERM)
    next_message(notify_socket, "STOPPING=1", timeout_s=30)
    assert daemon.wait(timeout_s=30) == 0
