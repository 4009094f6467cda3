"""What the API reads and acts on: the running daemon's parts, handed over by the runtime."""

from __future__ import annotations

from dataclasses import dataclass

from rebalancer.ports import Clock, Store
from rebalancer.services.daemon_loop import DaemonLoop
from rebalancer.services.event_hub import EventHub
from rebalancer.services.health import HealthProbe
from rebalancer.services.market_state import MarketState
from rebalancer.telemetry import DaemonMetrics


@dataclass(frozen=True, slots=True)
class ApiContext:
    """The daemon as the API sees it."""

    store: Store
    clock: Clock
    loop: DaemonLoop
    market_state: MarketState
    probe: HealthProbe
    events: EventHub
    metrics: DaemonMetrics
