"""systemd ``Type=notify`` messages: READY, STOPPING, RELOADING, STATUS and watchdog pings.

Speaks the ``sd_notify`` datagram protocol directly (a Unix socket named by ``$NOTIFY_SOCKET``;
a leading ``@`` is the abstract namespace), so no extra library is needed. Without
``$NOTIFY_SOCKET`` every call does nothing.

Watchdog pings come from a task on the daemon's own event loop, and only while the daemon says
it is healthy: a wedged loop (blocked by a call that never returns) sends none, and neither does
a loop whose scheduler stopped firing. After ``WatchdogSec`` without a ping systemd kills the
service and ``Restart=on-failure`` starts it again (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


class SystemdNotifier:
    """Sends notifications to the service manager, if there is one."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        environ = os.environ if env is None else env
        path = environ.get("NOTIFY_SOCKET", "")
        self._address = "\0" + path[1:] if path.startswith("@") else path
        self._watchdog_s = _watchdog_seconds(environ)
        self.healthy_status = "running"

    @property
    def enabled(self) -> bool:
        """True when run by systemd with ``Type=notify``."""
        return bool(self._address)

    @property
    def watchdog_interval_s(self) -> float | None:
        """How often to ping: half of ``WatchdogSec`` (None: no watchdog)."""
        return self._watchdog_s / 2 if self._watchdog_s else None

    def notify(self, *fields: str) -> None:
        """Send ``KEY=value`` fields; a failure is logged, never raised."""
        if not self._address:
            return
        message = "\n".join(fields).encode()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(message, self._address)
        except OSError as error:
            log.warning("systemd notify failed: %s", error)

    def ready(self, status: str) -> None:
        """Start-up is complete; ``status`` is what ``systemctl status`` shows while healthy."""
        self.healthy_status = status
        self.notify("READY=1", f"STATUS={status}")

    def reloading(self) -> None:
        """A config reload begins (``READY`` ends it)."""
        self.notify("RELOADING=1", f"MONOTONIC_USEC={time.monotonic_ns() // 1000}")

    def stopping(self) -> None:
        """Shutdown begins."""
        self.notify("STOPPING=1", "STATUS=stopping")

    async def watchdog(self, trouble: Callable[[], str | None] = lambda: None) -> None:
        """Ping every half ``WatchdogSec`` until cancelled, while ``trouble()`` returns None.

        When ``trouble()`` names a problem the ping is withheld and the problem shown as the
        service's STATUS (and logged) once; when it clears, ``healthy_status`` is shown again.
        Does nothing without a watchdog.
        """
        interval = self.watchdog_interval_s
        if interval is None:
            return
        withheld: str | None = None
        while True:
            problem = trouble()
            if problem is None:
                if withheld is not None:
                    log.warning("watchdog: healthy again; pinging systemd")
                    self.notify(f"STATUS={self.healthy_status}")
                self.notify("WATCHDOG=1")
            elif withheld is None:
                log.error("watchdog: %s; no longer telling systemd we are alive", problem)
                self.notify(f"STATUS=unhealthy: {problem}")
            withheld = problem
            await asyncio.sleep(interval)


def _watchdog_seconds(environ: Mapping[str, str]) -> float | None:
    """``WatchdogSec`` from ``$WATCHDOG_USEC``, if it is meant for this process."""
    usec = environ.get("WATCHDOG_USEC")
    pid = environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    with contextlib.suppress(ValueError):
        value = int(usec)
        if value > 0:
            return value / 1_000_000
    return None
