"""Test-only fault points: failures of the daemon itself that a test cannot cause from outside.

Off unless ``$REBALANCER_TEST_FAULTS`` names a directory; never set it in production. While it
is set, the daemon looks in that directory every 0.1 s for a file naming a fault, deletes the
file and acts on it. Each file holds a number of seconds:

- ``wedge``: block the event loop that long (a synchronous sleep on the loop's thread), as a
  deadlocked library call would. Nothing runs meanwhile: no check, no signal handler, no
  watchdog ping.
- ``stall``: pause the check scheduler that long. The event loop runs on, but no check or
  reconciliation starts, so the daemon is not healthy and withholds its watchdog pings.

Each fault logs a warning and sets the systemd STATUS when it starts and when it ends, so a
test listening on ``$NOTIFY_SOCKET`` sees, in order, what the daemon sent during the fault.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path

from rebalancer.runtime.systemd import SystemdNotifier
from rebalancer.services.scheduler import CheckScheduler

log = logging.getLogger(__name__)

FAULTS_ENV_VAR = "REBALANCER_TEST_FAULTS"
POLL_S = 0.1


def faults_directory(env: Mapping[str, str] | None = None) -> Path | None:
    """The directory test faults are requested in (None: fault points are off)."""
    value = (os.environ if env is None else env).get(FAULTS_ENV_VAR)
    return Path(value) if value else None


async def serve_fault_points(
    directory: Path, scheduler: CheckScheduler, systemd: SystemdNotifier
) -> None:
    """Carry out the faults requested in ``directory`` until cancelled."""
    log.warning("test fault points are on (%s=%s): not for production", FAULTS_ENV_VAR, directory)
    while True:
        await asyncio.sleep(POLL_S)
        if (seconds := _take(directory / "wedge")) is not None:
            _announce(systemd, f"wedging the event loop for {seconds:g} s")
            time.sleep(seconds)  # noqa: ASYNC251  # blocking the loop is the point
            _announce(systemd, "event loop unwedged")
        if (seconds := _take(directory / "stall")) is not None:
            _announce(systemd, f"pausing the check scheduler for {seconds:g} s")
            scheduler.pause()
            await asyncio.sleep(seconds)
            scheduler.resume()
            _announce(systemd, "check scheduler resumed")


def _take(request: Path) -> float | None:
    """The seconds a fault file asks for, the file removed (None: no such request)."""
    with contextlib.suppress(FileNotFoundError):
        text = request.read_text(encoding="utf-8")
        request.unlink()
        return float(text.strip() or "0")
    return None


def _announce(systemd: SystemdNotifier, what: str) -> None:
    log.warning("test fault point: %s", what)
    systemd.notify(f"STATUS=test fault point: {what}")
