"""The systemd watchdog is fed only by a healthy loop: a scheduler gone quiet stops the pings."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import cast

from rebalancer.runtime.daemon import scheduler_trouble
from rebalancer.runtime.systemd import SystemdNotifier
from rebalancer.services.daemon_loop import DaemonLoop
from rebalancer.services.scheduler import CheckScheduler


def received(sock: socket.socket) -> list[str]:
    """Every notification waiting on the socket, oldest first."""
    messages = []
    sock.setblocking(False)
    while True:
        try:
            messages.append(sock.recv(4096).decode())
        except BlockingIOError:
            return messages


def test_pings_stop_while_the_loop_is_in_trouble_and_resume_after(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        notifier = SystemdNotifier({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "2000"})
        notifier.ready("checking 1 portfolio(s)")
        script = [None, None, "no check has started for 130 s", "still quiet", None, None]

        async def feed() -> None:
            done = asyncio.Event()

            def trouble() -> str | None:
                if len(script) == 1:
                    done.set()
                return script.pop(0) if script else None

            pinger = asyncio.create_task(notifier.watchdog(trouble))
            await asyncio.wait_for(done.wait(), timeout=30)
            pinger.cancel()
            await asyncio.gather(pinger, return_exceptions=True)

        asyncio.run(feed())
        messages = received(sock)

    assert messages == [
        "READY=1\nSTATUS=checking 1 portfolio(s)",
        "WATCHDOG=1",
        "WATCHDOG=1",
        "STATUS=unhealthy: no check has started for 130 s",
        "STATUS=checking 1 portfolio(s)",
        "WATCHDOG=1",
        "WATCHDOG=1",
    ]


def test_a_scheduler_quiet_for_two_intervals_is_trouble() -> None:
    now = [1000.0]
    scheduler = CheckScheduler(
        cast(DaemonLoop, object()),
        {},
        check_interval_s=60,
        misfire_grace_s=30,
        monotonic=lambda: now[0],
    )
    now[0] += 120
    assert scheduler_trouble(scheduler) is None
    now[0] += 1
    trouble = scheduler_trouble(scheduler)
    assert trouble == "no check has started for 121 s (checks are due every 60 s)"
