"""What lets people see the running daemon: health, venue watch, metrics and the HTTP API.

Built once the loop exists and kept for the daemon's life:

- the health probe (``/health``, ``rebalancer status``, the metrics' live gauges);
- the venue watch, publishing ``VenueStale`` and ``VenueRecovered`` as venues change;
- the metrics, subscribed to the event stream and fed every check's snapshot;
- the event log's follower, handing subscribers what other processes log (``rebalancer
  approve`` at a shell) within ``LOG_FOLLOW_INTERVAL_S``;
- the HTTP API when ``[api] enabled``: on ``[api] host:port`` with the bearer token;
- the alert sinks, chat commands and daily digest when ``[alerts]`` names a sink
  (``runtime.alerts``); they stop last, after delivering what the daemon said on its way out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from rebalancer.api.app import build_app
from rebalancer.api.context import ApiContext
from rebalancer.api.server import ApiServer, check_binding
from rebalancer.runtime.alerts import serve_alerts
from rebalancer.runtime.assembly import Wiring
from rebalancer.services.daemon_loop import DaemonLoop
from rebalancer.services.health import HealthProbe
from rebalancer.services.venue_watch import VenueWatch
from rebalancer.telemetry import DaemonMetrics
from rebalancer.telemetry.metrics import LiveSources

log = logging.getLogger(__name__)

MIN_CHECK_AGE_S = 60.0
CHECKS_MISSED = 3  # a check older than this many intervals makes the daemon unhealthy
VENUE_WATCH_MAX_INTERVAL_S = 5.0
LOG_FOLLOW_INTERVAL_S = 1.0


@dataclass(frozen=True, slots=True)
class Observability:
    """The probe, the metrics and (when served) the API server of one running daemon."""

    probe: HealthProbe
    metrics: DaemonMetrics
    api: ApiServer | None


def health_probe(wiring: Wiring, loop: DaemonLoop) -> HealthProbe:
    """The probe with the check-age limit the config implies."""
    interval = wiring.config.daemon.check_interval_s
    return HealthProbe(
        loop,
        wiring.market_state,
        wiring.clock,
        max_check_age_s=max(MIN_CHECK_AGE_S, CHECKS_MISSED * interval),
    )


@contextlib.asynccontextmanager
async def observe(wiring: Wiring, loop: DaemonLoop) -> AsyncIterator[Observability]:
    """Start the venue watch, the metrics and the API; stop them on exit (the API first)."""
    probe = health_probe(wiring, loop)
    metrics = DaemonMetrics()
    metrics.watch(LiveSources(probe, wiring.events.stats))
    wiring.events.subscribe(metrics)
    loop.add_snapshot_observer(metrics.observe_snapshot)
    watch = VenueWatch(probe, wiring.events, wiring.clock)
    interval = min(VENUE_WATCH_MAX_INTERVAL_S, wiring.config.market_data.rest_poll_interval_s)
    tasks = [
        asyncio.create_task(watch.run(interval), name="venue-watch"),
        asyncio.create_task(
            wiring.events.follow_log(wiring.clock, LOG_FOLLOW_INTERVAL_S), name="event-log-follow"
        ),
    ]
    server = await _serve_api(wiring, loop, probe, metrics)
    try:
        async with serve_alerts(wiring, loop, metrics):
            yield Observability(probe, metrics, server)
    finally:
        if server is not None:
            await server.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _serve_api(
    wiring: Wiring, loop: DaemonLoop, probe: HealthProbe, metrics: DaemonMetrics
) -> ApiServer | None:
    table = wiring.config.api
    if not table.enabled:
        return None
    token = check_binding(table.host, table.token.get_secret_value() if table.token else None)
    context = ApiContext(
        store=wiring.store,
        clock=wiring.clock,
        loop=loop,
        market_state=wiring.market_state,
        probe=probe,
        events=wiring.events,
        metrics=metrics,
    )
    server = ApiServer(build_app(context, token), table.host, table.port)
    await server.start()
    return server
