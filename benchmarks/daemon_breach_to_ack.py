"""Time from a band breach to the first order of the run the venue acknowledged, on loopback.

A simulator (static prices) and the daemon run as subprocesses, the daemon checking every
``--check-interval-s``. The portfolio starts inside its bands; each sample pins BTC's price
(on every venue, through the control plane) far enough to push BTC outside its band, then polls
the simulator's order log every 2 ms until a new order appears: that is the venue's
acknowledgement. The price alternates between two levels so each breach is fresh, and the next
sample waits for the run to end. (The daemon's ``[risk] max_price_jump_percent`` is raised so
the deliberate jumps are not refused as bad data.)

Reported per sample and as medians:

- breach -> ack: what a user sees (includes waiting for the next scheduled check);
- decision -> ack: from the daemon's "rebalancing" log line (written once the check's fresh
  REST snapshot is taken and the triggers fired) to the ack: run created, planning, the
  round's checks and records, pre-trade gate, intent committed, order sent and answered.

Usage::

    .venv/bin/python benchmarks/daemon_breach_to_ack.py [--samples 7] [--check-interval-s 1]
"""

from __future__ import annotations

import argparse
import json
import signal
import time
import urllib.request
from typing import Any

from daemon_world import DaemonProcess, log_records, logged_at, summary, wait_for, world

INSIDE = {"binance": {"BTC": "0.2", "ETH": "4", "USDT": "3000"}, "okx": {"USDT": "3000"}}
BREACH_PRICES = ("81000", "42000")  # from either band edge, each pushes BTC out again
RISK = "\n[risk]\nmax_price_jump_percent = 100\nmax_cross_venue_deviation_percent = 5\n"


def pin_price(control_url: str, symbol: str, price: str) -> None:
    """Pin ``symbol`` on every venue."""
    request = urllib.request.Request(
        f"{control_url}/prices",
        data=json.dumps({"symbol": symbol, "price": price}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def order_count(control_url: str) -> int:
    """How many orders the simulated venues have received."""
    with urllib.request.urlopen(f"{control_url}/orders", timeout=10) as reply:
        loaded: Any = json.loads(reply.read())
    orders = loaded["orders"] if isinstance(loaded, dict) else loaded
    return len(orders)


def runs_ended(daemon: DaemonProcess) -> int:
    """How many runs the daemon has logged as ended."""
    return sum(" ended " in str(r["message"]) for r in log_records(daemon))


def sample(daemon: DaemonProcess, control_url: str, price: str) -> tuple[float, float]:
    """One breach: (breach -> ack, decision -> ack) in seconds."""
    before_orders = order_count(control_url)
    before_runs = runs_ended(daemon)
    breached_at = time.time()
    pin_price(control_url, "BTC/USDT", price)
    deadline = time.monotonic() + 60
    while order_count(control_url) == before_orders:
        if time.monotonic() > deadline:
            raise AssertionError(f"no order within 60 s of the breach:\n{daemon.log()[-2000:]}")
        time.sleep(0.002)
    acked_at = time.time()
    wait_for("the run to end", lambda: runs_ended(daemon) > before_runs, timeout_s=60)
    checks = [
        logged_at(r)
        for r in log_records(daemon)
        if "rebalancing (" in str(r["message"]) and logged_at(r) >= breached_at - 0.01
    ]
    return acked_at - breached_at, acked_at - checks[0]


def main() -> None:
    """Run the samples and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--check-interval-s", type=float, default=1.0)
    args = parser.parse_args()
    with world(
        balances=INSIDE, check_interval_s=args.check_interval_s, extra_daemon_toml=RISK
    ) as here:
        control = str(here.sim.connection["control_url"])
        daemon = here.daemon().start()
        try:
            daemon.wait_for_log("rebalancer running", timeout_s=60)
            totals: list[float] = []
            pipelines: list[float] = []
            for number in range(args.samples):
                total, pipeline = sample(daemon, control, BREACH_PRICES[number % 2])
                totals.append(total)
                pipelines.append(pipeline)
                print(
                    f"sample {number + 1}: breach->ack {total * 1000:.0f} ms, "
                    f"decision->ack {pipeline * 1000:.0f} ms"
                )
            print(f"check interval {args.check_interval_s} s, loopback, 2 venues (ccxt REST)")
            print(summary("breach -> first order acknowledged", totals))
            print(summary("trigger decision -> first order acknowledged", pipelines))
        finally:
            daemon.signal(signal.SIGTERM)
            daemon.wait(timeout_s=30)


if __name__ == "__main__":
    main()
