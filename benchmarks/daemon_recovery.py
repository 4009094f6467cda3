"""Recovery time after kill -9 with an order in flight: restart -> reconciled -> trading.

Each sample builds a fresh world (simulator and state directory). The portfolio needs a BTC
sell and then an ETH buy on binance. A fault holds the reply to the first order (the venue
executes it, the reply waits 30 s), so when the daemon is killed with -9 that order is in
flight: committed as an intent, accepted by the venue, never recorded as sent. Then the daemon
is started again, logging JSON, and we time from the restart (``Popen``) to:

- start-up: the "rebalancer starting" line (Python start and imports);
- reconciled: the "recovery:" line (store opened, ccxt markets and a first REST reading, every
  venue reconciled, the in-flight order found by client id and settled, the run settled);
- trading: the next order acknowledged by the venue (the ETH buy of a fresh run).

Usage::

    .venv/bin/python benchmarks/daemon_recovery.py [--samples 5]
"""

from __future__ import annotations

import argparse
import json
import signal
import time
import urllib.request
from typing import Any

from daemon_world import log_records, logged_at, summary, wait_for, world

TRADES_ONLY = {"binance": {"BTC": "0.3", "USDT": "12000"}, "okx": {"USDT": "6000"}}
HOLD_REPLY = {
    "venue": "binance",
    "path": "/api/v3/order",
    "method": "POST",
    "delay_ms": 30_000,
    "execute": True,
}


def control(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """GET (or POST ``body`` to) a simulator control endpoint."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{url}{path}", data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        text = reply.read()
    return json.loads(text) if text else None


def orders(url: str) -> list[Any]:
    """The simulator's order log."""
    loaded = control(url, "/orders")
    return list(loaded["orders"] if isinstance(loaded, dict) else loaded)


def first_at(records: list[dict[str, Any]], text: str) -> float:
    """When the first log line containing ``text`` was written."""
    return next(logged_at(r) for r in records if text in str(r["message"]))


def sample() -> tuple[float, float, float]:
    """One kill -9 and restart: seconds to start-up, to reconciled, to the next order."""
    with world(balances=TRADES_ONLY) as here:
        url = str(here.sim.connection["control_url"])
        control(url, "/faults", HOLD_REPLY)
        doomed = here.daemon("--once").start()
        wait_for("the held order", lambda: orders(url), timeout_s=60, every_s=0.02)
        doomed.signal(signal.SIGKILL)
        doomed.wait(timeout_s=10)

        restarted_at = time.time()
        daemon = here.daemon().start()
        try:
            wait_for("the next order", lambda: len(orders(url)) > 1, timeout_s=60, every_s=0.002)
            trading = time.time() - restarted_at
            records = log_records(daemon)
            started = first_at(records, "rebalancer starting") - restarted_at
            reconciled = first_at(records, "recovery:") - restarted_at
            assert "1 orders settled" in daemon.log(), daemon.log()[-2000:]
        finally:
            daemon.signal(signal.SIGTERM)
            daemon.wait(timeout_s=30)
        return started, reconciled, trading


def main() -> None:
    """Run the samples and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args()
    starts: list[float] = []
    reconciles: list[float] = []
    tradings: list[float] = []
    for number in range(args.samples):
        started, reconciled, trading = sample()
        starts.append(started)
        reconciles.append(reconciled)
        tradings.append(trading)
        print(
            f"sample {number + 1}: start-up {started * 1000:.0f} ms, reconciled "
            f"{reconciled * 1000:.0f} ms, next order acknowledged {trading * 1000:.0f} ms"
        )
    print("kill -9 with one order in flight, restart on loopback, 2 venues (ccxt REST + ws)")
    print(summary("restart -> process started", starts))
    print(summary("restart -> venues reconciled, in-flight order settled", reconciles))
    print(summary("restart -> trading (next order acknowledged)", tradings))


if __name__ == "__main__":
    main()
