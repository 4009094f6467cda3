"""The daemon process from start to exit: the one place that builds and tears down adapters.

Start-up, in order: take the state directory's lock (a second daemon refuses to start, naming
the PID), open the Store (schema upgraded), start the paper simulator if a venue is simulated,
build the ccxt gateways, start market state (markets, a first REST reading, streams), load the
planner's solver, then recovery, and only then the scheduler (or one cycle with ``--once``).
Beside the scheduler run the venue watch, the metrics, the HTTP API when ``[api] enabled`` and
the alert sinks when ``[alerts]`` names one (``observability``).

Shutdown on SIGTERM or SIGINT: the scheduler starts nothing more, running checks reach a safe
point within ``daemon.shutdown_grace_s`` (then are cancelled), and everything is closed in
reverse order: market state, gateways, simulator, Store, lock. The exit status is 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rebalancer import __version__
from rebalancer.core.planner import load_solver
from rebalancer.domain.events import DaemonStarted, DaemonStopping
from rebalancer.domain.runs import RunStatus
from rebalancer.persistence import open_store
from rebalancer.runtime.assembly import Wiring, build_loop, market_data_settings, watched_symbols
from rebalancer.runtime.clock import SystemClock
from rebalancer.runtime.fault_points import faults_directory, serve_fault_points
from rebalancer.runtime.features import unserved
from rebalancer.runtime.gateways import build_gateways, spec_secrets, venue_specs
from rebalancer.runtime.instance_lock import InstanceLock
from rebalancer.runtime.logs import redact_more
from rebalancer.runtime.observability import observe
from rebalancer.runtime.paper import (
    forget_paper_transfers,
    load_paper_simulator,
    simulated_venues,
    simulator_config_path,
    start_paper_simulator,
)
from rebalancer.runtime.reload import Reloader
from rebalancer.runtime.service_env import check_state_directory
from rebalancer.runtime.systemd import SystemdNotifier
from rebalancer.services.breach_watch import BreachWatch
from rebalancer.services.daemon_loop import CheckAction, CheckResult, DaemonLoop
from rebalancer.services.event_hub import EventHub
from rebalancer.services.market_state import MarketState
from rebalancer.services.request_watch import RequestWatch
from rebalancer.services.scheduler import CheckScheduler
from rebalancer.settings import AppConfig

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
STALL_INTERVALS = 2  # a scheduler quiet this many check intervals has stopped firing


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How ``rebalancer run`` was asked to run."""

    once: bool = False
    force: bool = False  # with once: a manual trigger, whatever the bands and the cooldown
    simulator_config: Path | None = None  # paper mode's simulator TOML


class StopSignals:
    """SIGTERM and SIGINT set ``requested`` (and the executors' stop) instead of killing us."""

    def __init__(self, *events: asyncio.Event) -> None:
        self.requested = asyncio.Event()
        self._events = events
        self._installed: list[signal.Signals] = []

    def install(self) -> None:
        """Handle the signals on the running loop."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)
            self._installed.append(sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        if not self.requested.is_set():
            log.warning("%s received: finishing the current step, then stopping", sig.name)
        self.requested.set()
        for event in self._events:
            event.set()

    def remove(self) -> None:
        """Restore the default handlers."""
        loop = asyncio.get_running_loop()
        for sig in self._installed:
            loop.remove_signal_handler(sig)
        self._installed.clear()


async def run_daemon(config: AppConfig, options: RunOptions) -> int:
    """Run until a stop signal (or one cycle with ``once``) and return the exit status.

    Raises ``AlreadyRunning`` when another daemon holds the state directory, and ConfigError
    when systemd gave the service another state directory than the config names.
    """
    check_state_directory(config)
    with InstanceLock(Path(config.daemon.state_dir)):
        log.info("rebalancer starting (state in %s)", config.daemon.state_dir)
        _warn_about_unbuilt_features(config)
        stop = asyncio.Event()
        signals = StopSignals(stop)
        signals.install()
        try:
            async with open_adapters(config, options) as wiring:
                load_solver()  # not in the first plan: the first breach is acted on at once
                loop = build_loop(wiring, stop)
                if options.once:
                    return await _once(loop, force=options.force)
                async with observe(wiring, loop):
                    await _serve(wiring, loop, signals)
        finally:
            signals.remove()
        log.info("rebalancer stopped")
        return EXIT_OK


@contextlib.asynccontextmanager
async def open_adapters(config: AppConfig, options: RunOptions) -> AsyncIterator[Wiring]:
    """Open every adapter; close them in reverse order however the daemon ends."""
    async with contextlib.AsyncExitStack() as stack:
        clock = SystemClock()
        store = await open_store(config.daemon.effective_database_url())
        stack.push_async_callback(store.close)
        paper: dict[str, Any] | None = None
        if simulated_venues(config):
            path = simulator_config_path(config, options.simulator_config)
            server = load_paper_simulator(config, path)
            stack.push_async_callback(server.stop)
            paper = await start_paper_simulator(server)
            await forget_paper_transfers(store, simulated_venues(config))
        specs = venue_specs(config, paper)
        redact_more(spec_secrets(specs))
        gateways = build_gateways(specs)
        for gateway in gateways.values():
            stack.push_async_callback(gateway.close)
        market_state = MarketState(
            gateways, watched_symbols(config), clock, market_data_settings(config)
        )
        await stack.enter_async_context(market_state)
        for name in market_state.venues:
            state = market_state.venue(name)
            log.info(
                "venue %s: %d markets, %d balances", name, len(state.markets), len(state.balances)
            )
        events = EventHub(store)
        stack.push_async_callback(events.aclose)
        yield Wiring(config, store, clock, gateways, market_state, events)


async def _once(loop: DaemonLoop, *, force: bool) -> int:
    """Recover, check every portfolio once (running what is due), reconcile, report."""
    report = await loop.recover()
    results = await loop.check_all(manual=force)
    if not loop.stop.is_set():
        final = await loop.recover()
        report.unreconciled.update(final.unreconciled)
    for result in results:
        log.info("%s: %s: %s", result.portfolio, result.action.value, result.reason)
    failed = [r for r in results if _failed(r)]
    return EXIT_FAILURE if failed or report.unreconciled else EXIT_OK


def _failed(result: CheckResult) -> bool:
    if result.action is CheckAction.FAILED:
        return True
    return result.run is not None and result.run.status is RunStatus.FAILED


async def _serve(wiring: Wiring, loop: DaemonLoop, signals: StopSignals) -> None:
    """Recover, schedule the checks, reload on SIGHUP, wait for a stop signal; then drain."""
    config = wiring.config
    report = await loop.recover()
    policies = {name: config.policy(name) for name in config.portfolios}
    scheduler = CheckScheduler(
        loop,
        policies,
        check_interval_s=config.daemon.check_interval_s,
        misfire_grace_s=config.daemon.misfire_grace_s,
    )
    watch = watch_breaches(wiring, loop)
    systemd = SystemdNotifier()
    reloader = Reloader(wiring, loop, scheduler, loop.stop, systemd)
    source = config.source_file
    event_loop = asyncio.get_running_loop()
    if source is not None:
        event_loop.add_signal_handler(signal.SIGHUP, reloader.reload, source)
    requests = RequestWatch(loop, wiring.store, poll_s=config.daemon.request_poll_s)
    background: list[asyncio.Task[None]] = []
    try:
        if not signals.requested.is_set():
            scheduler.start()
            background.append(asyncio.create_task(requests.run(), name="request-watch"))
            log.info("rebalancer running; SIGTERM or Ctrl-C stops it, SIGHUP reloads the config")
            await wiring.events.publish(
                DaemonStarted(
                    at=wiring.clock.now(),
                    version=__version__,
                    portfolios=tuple(policies),
                    unreconciled=tuple(sorted(report.unreconciled)),
                )
            )
            systemd.ready(f"checking {len(policies)} portfolio(s)")
            background += _helpers(scheduler, systemd)
            await signals.requested.wait()
    finally:
        systemd.stopping()
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        if source is not None:
            event_loop.remove_signal_handler(signal.SIGHUP)
    scheduler.pause()  # shutting it down now would cancel the running checks
    watch.close()  # breaches waiting for their gap start nothing now
    finished = await loop.drain(reloader.config.daemon.shutdown_grace_s)
    scheduler.shutdown()
    if not finished:
        log.warning("some work was cancelled at the grace limit; the next start recovers it")
    await _tell_stopping(wiring)


async def _tell_stopping(wiring: Wiring) -> None:
    """Publish ``DaemonStopping`` naming the runs left for the next start to settle."""
    waiting = {request.run_id for request in await wiring.store.pending_requests()}
    parked = tuple(
        run.id
        for run in await wiring.store.runs_in_flight()
        if run.status is not RunStatus.AWAITING_APPROVAL and run.id not in waiting
    )
    reason = "stop signal" + (" with work parked for the next start" if parked else "")
    await wiring.events.publish(DaemonStopping(at=wiring.clock.now(), reason=reason, parked=parked))


def scheduler_trouble(scheduler: CheckScheduler) -> str | None:
    """Why the loop is not healthy (None: it is): its scheduler quiet for two intervals."""
    quiet, limit = scheduler.quiet_s(), STALL_INTERVALS * scheduler.interval_s
    if quiet <= limit:
        return None
    every = scheduler.interval_s
    return f"no check has started for {quiet:.0f} s (checks are due every {every:g} s)"


def _helpers(scheduler: CheckScheduler, systemd: SystemdNotifier) -> list[asyncio.Task[None]]:
    """The watchdog pinger and, in tests only, the fault points; cancelled at shutdown."""
    trouble = functools.partial(scheduler_trouble, scheduler)
    helpers = [asyncio.create_task(systemd.watchdog(trouble), name="systemd-watchdog")]
    if (directory := faults_directory()) is not None:
        faults = serve_fault_points(directory, scheduler, systemd)
        helpers.append(asyncio.create_task(faults, name="test-fault-points"))
    return helpers


def watch_breaches(wiring: Wiring, loop: DaemonLoop) -> BreachWatch:
    """Check a portfolio early when a streamed quote breaches its band (``breach_watch``).

    After an early check that started no run, the next one of that portfolio waits a quarter
    of ``check_interval_s`` (the interval at start-up; a reload keeps it).
    """
    watch = BreachWatch(loop, wiring.clock, min_gap_s=wiring.config.daemon.check_interval_s / 4)
    loop.add_snapshot_observer(watch.reset)
    wiring.market_state.add_quote_listener(watch.on_quotes)
    return watch


def _warn_about_unbuilt_features(config: AppConfig) -> None:
    """Say plainly which configured parts this version does not serve (``runtime/features``)."""
    for sentence in unserved(config):
        log.warning("%s", sentence)
