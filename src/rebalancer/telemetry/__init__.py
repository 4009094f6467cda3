"""Prometheus metrics: the one package that uses ``prometheus_client``.

``DaemonMetrics`` owns a registry. Counters and histograms follow the event stream (it is an
``EventSubscriber``); gauges of live state (stream ages, readiness, the breaker, event delivery)
are read at scrape time from the health probe and the event hub; portfolio gauges follow every
check's snapshot. Alert sinks count what they sent and what failed through ``alert_sent`` and
``alert_failed``.
"""

from rebalancer.telemetry.metrics import DaemonMetrics

__all__ = ["DaemonMetrics"]
