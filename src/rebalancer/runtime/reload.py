"""SIGHUP: read the config again, validate it fully, and swap it in atomically, or keep the old.

What a reload can change without a restart: portfolios (weights, bands, calendar, cooldown,
limits, execution, approval; new and removed portfolios on the running venues), routes,
``[risk]``, ``check_interval_s`` and ``misfire_grace_s``. What needs a restart (venues and
their keys, ``state_dir``, the database, ``[market_data]``, logging) makes the reload refuse
with the reason, and the old config stays in force. A config that does not validate is refused
the same way, every problem listed. Checks already running finish with the old config.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import Path

from rebalancer.domain.errors import ConfigError
from rebalancer.domain.events import ConfigRefused, ConfigReloaded, DomainEvent
from rebalancer.runtime.assembly import Wiring, assemble
from rebalancer.runtime.systemd import SystemdNotifier
from rebalancer.services.daemon_loop import DaemonLoop
from rebalancer.services.scheduler import CheckScheduler
from rebalancer.settings import AppConfig, load_config

log = logging.getLogger(__name__)

NEEDS_RESTART = ("venues", "market_data")
DAEMON_NEEDS_RESTART = (
    "state_dir",
    "database_url",
    "log_format",
    "shutdown_grace_s",
    "request_poll_s",
)


def restart_needed(old: AppConfig, new: AppConfig) -> list[str]:
    """The changed keys a reload cannot apply (empty: the new config can be swapped in)."""
    changed = [key for key in NEEDS_RESTART if getattr(old, key) != getattr(new, key)]
    changed += [
        f"daemon.{key}"
        for key in DAEMON_NEEDS_RESTART
        if getattr(old.daemon, key) != getattr(new.daemon, key)
    ]
    return changed


class Reloader:
    """Applies SIGHUPs to one running loop and its scheduler."""

    def __init__(
        self,
        wiring: Wiring,
        loop: DaemonLoop,
        scheduler: CheckScheduler,
        stop: asyncio.Event,
        systemd: SystemdNotifier | None = None,
    ) -> None:
        self.config = wiring.config
        self._wiring = wiring
        self._loop = loop
        self._scheduler = scheduler
        self._stop = stop
        self._systemd = systemd or SystemdNotifier({})
        self._telling: set[asyncio.Task[object]] = set()

    def reload(self, path: Path) -> bool:
        """Load ``path``; swap it in if it is valid and needs no restart. True when swapped."""
        self._systemd.reloading()
        try:
            return self._reload(path)
        finally:
            self._systemd.ready(f"checking {len(self.config.portfolios)} portfolio(s)")

    def _reload(self, path: Path) -> bool:
        try:
            new = load_config(path)
        except ConfigError as error:
            log.error("SIGHUP: %s is wrong; keeping the running config:\n%s", path, error)
            self._tell(ConfigRefused(at=self._now(), source=str(path), reason=str(error)))
            return False
        blocked = restart_needed(self.config, new)
        if blocked:
            log.error(
                "SIGHUP: %s changes %s, which needs a restart; keeping the running config",
                path,
                ", ".join(blocked),
            )
            why = f"changes {', '.join(blocked)}, which needs a restart"
            self._tell(ConfigRefused(at=self._now(), source=str(path), reason=why))
            return False
        assembly = assemble(self._wiring, new, self._stop)
        self._loop.replace(assembly)
        self._scheduler.reschedule(
            {name: new.policy(name) for name in new.portfolios},
            check_interval_s=new.daemon.check_interval_s,
            misfire_grace_s=new.daemon.misfire_grace_s,
        )
        self.config = new
        log.info(
            "SIGHUP: config reloaded from %s (%d portfolio(s), checks every %.0f s)",
            path,
            len(new.portfolios),
            new.daemon.check_interval_s,
        )
        self._tell(
            ConfigReloaded(at=self._now(), source=str(path), portfolios=tuple(new.portfolios))
        )
        return True

    def _now(self) -> datetime:
        return self._wiring.clock.now()

    def _tell(self, event: DomainEvent) -> None:
        """Publish from the signal handler: a task (held until done) does the awaiting."""
        task = asyncio.get_running_loop().create_task(
            self._wiring.events.publish(event), name=f"publish {event.name}"
        )
        self._telling.add(task)
        task.add_done_callback(self._told)

    def _told(self, task: asyncio.Task[object]) -> None:
        self._telling.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("could not log %s: %s", task.get_name(), task.exception())
