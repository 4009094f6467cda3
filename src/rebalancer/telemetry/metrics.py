"""The daemon's Prometheus metrics (names under ``rebalancer_``), and how each is fed.

Money and quantities are Decimals everywhere else; Prometheus samples are floats, so values are
converted here, at the edge, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from rebalancer.core.drift import drift_of_snapshot
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.events import (
    BreakerTransition,
    DomainEvent,
    OrderFailed,
    OrderFilled,
    OrderPlaced,
    Published,
    RoundPlanned,
    RunEnded,
    RunTriggered,
    TransferArrived,
    TransferLate,
    TransferSent,
)
from rebalancer.domain.policy import Policy
from rebalancer.domain.records import RunRecord
from rebalancer.domain.snapshot import Snapshot
from rebalancer.services.event_hub import DeliveryStats
from rebalancer.services.health import HealthProbe, VenueStatus

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SLIPPAGE_BUCKETS = (-50.0, -10.0, -1.0, 0.0, 1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0)


@dataclass(frozen=True, slots=True)
class LiveSources:
    """What the scrape-time gauges read: the health probe and the hub's delivery counts."""

    probe: HealthProbe
    deliveries: Callable[[], Mapping[str, DeliveryStats]]


class DaemonMetrics:
    """Every metric of one daemon, in its own registry (``render`` is what /metrics serves)."""

    name = "metrics"  # as an event subscriber

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._live = _LiveCollector()
        self.registry.register(self._live)
        self._define_runs()
        self._define_execution()
        self._define_portfolios()
        self.alerts_sent = Counter(
            "rebalancer_alerts_sent_total",
            "Alerts delivered, per sink",
            ["sink"],
            registry=self.registry,
        )
        self.alerts_failed = Counter(
            "rebalancer_alerts_failed_total",
            "Alerts a sink failed to deliver (after its retries), per sink",
            ["sink"],
            registry=self.registry,
        )

    def _define_runs(self) -> None:
        registry = self.registry
        self.runs_triggered = Counter(
            "rebalancer_runs_triggered_total",
            "Runs started, per portfolio and trigger",
            ["portfolio", "trigger"],
            registry=registry,
        )
        self.runs_ended = Counter(
            "rebalancer_runs_total",
            "Runs ended, per portfolio and final status",
            ["portfolio", "status"],
            registry=registry,
        )
        self.rounds = Counter(
            "rebalancer_rounds_total",
            "Rounds planned and executed, per portfolio",
            ["portfolio"],
            registry=registry,
        )
        self.breaker_transitions = Counter(
            "rebalancer_breaker_transitions_total",
            "Circuit breaker transitions, per new state",
            ["state"],
            registry=registry,
        )

    def _define_execution(self) -> None:
        registry = self.registry
        self.placement_latency = Histogram(
            "rebalancer_order_placement_seconds",
            "Time from sending an order to the venue's acknowledgement",
            ["venue"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.fills = Counter(
            "rebalancer_fills_total", "Orders that filled", ["venue", "side"], registry=registry
        )
        self.filled_notional = Counter(
            "rebalancer_filled_notional_total",
            "Quote value filled",
            ["venue", "side"],
            registry=registry,
        )
        self.fees = Counter(
            "rebalancer_fees_total",
            "Fees paid, in the fee's asset",
            ["venue", "asset"],
            registry=registry,
        )
        self.slippage = Histogram(
            "rebalancer_slippage_bps",
            "Fill price against the planned price, basis points (positive: worse)",
            ["venue", "side"],
            buckets=SLIPPAGE_BUCKETS,
            registry=registry,
        )
        self.order_failures = Counter(
            "rebalancer_order_failures_total",
            "Order nodes that ended short of their amount",
            ["venue"],
            registry=registry,
        )
        self.transfers = Counter(
            "rebalancer_transfers_total",
            "Transfer steps: sent, arrived, late",
            ["step", "asset"],
            registry=registry,
        )

    def _define_portfolios(self) -> None:
        registry = self.registry
        self.portfolio_value = Gauge(
            "rebalancer_portfolio_value",
            "Portfolio value in its quote asset, at the last check",
            ["portfolio", "quote"],
            registry=registry,
        )
        self.asset_weight = Gauge(
            "rebalancer_asset_weight_percent",
            "An asset's weight in percent of the portfolio, at the last check",
            ["portfolio", "asset"],
            registry=registry,
        )
        self.asset_target = Gauge(
            "rebalancer_asset_target_percent",
            "An asset's target weight in percent",
            ["portfolio", "asset"],
            registry=registry,
        )
        self.asset_drift = Gauge(
            "rebalancer_asset_drift_percent",
            "Weight minus target, in percentage points, at the last check",
            ["portfolio", "asset"],
            registry=registry,
        )
        self.inside_bands = Gauge(
            "rebalancer_portfolio_inside_bands",
            "1 when every asset was inside its band at the last check",
            ["portfolio"],
            registry=registry,
        )

    # -- feeding ----------------------------------------------------------------------------

    def watch(self, sources: LiveSources) -> None:
        """Read live gauges from ``sources`` at every scrape."""
        self._live.sources = sources

    def observe_snapshot(
        self, policy: Policy, snapshot: Snapshot, run: RunRecord | None = None
    ) -> None:
        """Set the portfolio gauges from a check's snapshot (a snapshot observer)."""
        drift = drift_of_snapshot(snapshot, policy)
        name = policy.name
        self.portfolio_value.labels(name, policy.quote).set(float(drift.total))
        for item in drift.assets:
            self.asset_weight.labels(name, item.asset).set(float(item.weight))
            self.asset_target.labels(name, item.asset).set(float(item.target))
            self.asset_drift.labels(name, item.asset).set(float(item.drift))
        self.inside_bands.labels(name).set(0.0 if drift.any_breached else 1.0)

    def alert_sent(self, sink: str) -> None:
        """Count one alert a sink delivered."""
        self.alerts_sent.labels(sink).inc()

    def alert_failed(self, sink: str) -> None:
        """Count one alert a sink gave up on."""
        self.alerts_failed.labels(sink).inc()

    async def deliver(self, published: Published) -> None:
        """Count what an event says happened (the metrics' event subscription)."""
        self.count(published.event)

    def count(self, event: DomainEvent) -> None:
        """Update the counters and histograms an event feeds."""
        portfolio = event.portfolio or ""
        match event:
            case RunTriggered():
                self.runs_triggered.labels(portfolio, event.trigger.value).inc()
            case RunEnded():
                self.runs_ended.labels(portfolio, event.status.value).inc()
            case RoundPlanned():
                self.rounds.labels(portfolio).inc()
            case BreakerTransition():
                self.breaker_transitions.labels(event.state.value).inc()
            case OrderPlaced():
                self.placement_latency.labels(event.venue).observe(float(event.latency_s))
            case OrderFilled():
                self._count_fill(event)
            case OrderFailed():
                self.order_failures.labels(event.venue).inc()
            case TransferSent():
                self.transfers.labels("sent", event.asset).inc()
            case TransferArrived():
                self.transfers.labels("arrived", event.asset).inc()
            case TransferLate():
                self.transfers.labels("late", event.asset).inc()
            case _:
                pass

    def _count_fill(self, event: OrderFilled) -> None:
        side = event.side.value
        self.fills.labels(event.venue, side).inc()
        self.filled_notional.labels(event.venue, side).inc(
            float(event.filled * event.average_price)
        )
        if event.fee is not None and event.fee_asset:
            self.fees.labels(event.venue, event.fee_asset).inc(float(event.fee))
        self.slippage.labels(event.venue, side).observe(float(event.slippage_bps))

    def render(self) -> tuple[bytes, str]:
        """The text exposition of every metric, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class _LiveCollector(Collector):
    """Gauges read at scrape time: health, the breaker, venues, streams, event delivery."""

    def __init__(self) -> None:
        self.sources: LiveSources | None = None

    def collect(self) -> Iterator[Metric]:
        if self.sources is None:
            return
        report = self.sources.probe.report()
        yield _gauge("rebalancer_healthy", "1 when /health says healthy", report.healthy)
        breaker = GaugeMetricFamily(
            "rebalancer_breaker_state", "1 for the breaker's current state", labels=["state"]
        )
        for state in BreakerState:
            breaker.add_metric([state.value], 1.0 if report.breaker is state else 0.0)
        yield breaker
        if report.last_check_at is not None:
            age = (report.at - report.last_check_at).total_seconds()
            yield _gauge("rebalancer_last_check_age_seconds", "Since the last completed check", age)
        yield from _venue_metrics(report.venues)
        yield from _delivery_metrics(self.sources.deliveries())


def _gauge(name: str, documentation: str, value: float | bool) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value))


def _venue_metrics(venues: tuple[VenueStatus, ...]) -> Iterator[Metric]:
    ready = GaugeMetricFamily("rebalancer_venue_ready", "1 when a venue is ready", labels=["venue"])
    age = GaugeMetricFamily(
        "rebalancer_stream_age_seconds",
        "Since a stream's last message",
        labels=["venue", "stream"],
    )
    connected = GaugeMetricFamily(
        "rebalancer_stream_connected", "1 while a stream speaks", labels=["venue", "stream"]
    )
    reconnects = CounterMetricFamily(
        "rebalancer_stream_reconnects", "Stream reconnects", labels=["venue", "stream"]
    )
    for venue in venues:
        ready.add_metric([venue.venue], 1.0 if venue.ready else 0.0)
        for stream in venue.streams:
            labels = [venue.venue, stream.name.rpartition(":")[2]]
            if stream.age_s is not None:
                age.add_metric(labels, stream.age_s)
            connected.add_metric(labels, 1.0 if stream.connected else 0.0)
            reconnects.add_metric(labels, float(stream.reconnects))
    yield from (ready, age, connected, reconnects)


def _delivery_metrics(deliveries: Mapping[str, DeliveryStats]) -> Iterator[Metric]:
    counts = CounterMetricFamily(
        "rebalancer_event_deliveries",
        "Events handed to each subscriber, by outcome",
        labels=["subscriber", "outcome"],
    )
    queued = GaugeMetricFamily(
        "rebalancer_event_queue_length", "Events waiting per subscriber", labels=["subscriber"]
    )
    for name, stats in sorted(deliveries.items()):
        counts.add_metric([name, "delivered"], float(stats.delivered))
        counts.add_metric([name, "failed"], float(stats.failed))
        counts.add_metric([name, "dropped"], float(stats.dropped))
        queued.add_metric([name], float(stats.queued))
    yield from (counts, queued)
