"""Time from a band breach to the first order of the run the venue acknowledged, on loopback.

A simulator (static prices) and the daemon run as subprocesses, the daemon checking every
``--check-interval-s``. The portfolio starts inside its bands; each sample pins BTC's price
(on every venue, through the control plane) far enough to push BTC outside its band, then polls
the simulator's order log every 10 ms until a new order appears. Its ``created_ms`` (the time
the venue accepted it, on the simulator's wall clock) is the acknowledgement. The price
alternates between two levels so each breach is fresh. The next sample starts once the check
that ran the run has let go (its ``core: ran`` line), plus ``--pause-s`` (2 s): every breach
meets an idle daemon, and the runs stay within ccxt's request budget for OKX (a run every
second would need more than the ~9 cost units per second ccxt allows there, and requests would
queue). (The daemon's ``[risk] max_price_jump_percent`` is raised so the deliberate jumps
are not refused as bad data.)

Reported per sample and as medians:

- breach -> ack: what a user sees (the quote streamed in, the early check's fresh REST
  snapshot and decision, then the run; with no early check, the wait for the scheduled one);
- breach -> check: until the daemon logged the early check (quote streamed and applied);
- decision -> ack: from the daemon's "rebalancing" log line (written once the check's fresh
  REST snapshot is taken and the triggers fired) to the ack: run created, planning, the
  round's checks and records, pre-trade gate, intent committed, order sent and accepted.

With ``--sinks`` the daemon also sends alerts to three sinks on loopback (the test suite's
fakes, run in this process): Telegram, which never answers a message; Slack (a bot with Socket
Mode commands); and a signed webhook. Every run then produces alerts to all three; the figures
show whether that costs the breach -> ack path anything.

Usage::

    .venv/bin/python benchmarks/daemon_breach_to_ack.py [--samples 7] [--check-interval-s 1]
        [--sinks]
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
POLL_S = 0.01
SLOW_S = 1.0  # a sample slower than this prints the daemon's log lines of its window


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


def orders(control_url: str) -> list[dict[str, Any]]:
    """Every order the simulated venues have received."""
    with urllib.request.urlopen(f"{control_url}/orders", timeout=10) as reply:
        loaded: Any = json.loads(reply.read())
    return list(loaded["orders"] if isinstance(loaded, dict) else loaded)


def lines_with(daemon: DaemonProcess, text: str) -> list[dict[str, Any]]:
    """The daemon's JSON log records whose message contains ``text``."""
    return [r for r in log_records(daemon) if text in str(r["message"])]


def checks_done(daemon: DaemonProcess) -> int:
    """How many checks of the portfolio ended having run a run."""
    return len(lines_with(daemon, "core: ran ("))


def first_after(daemon: DaemonProcess, text: str, since: float) -> float | None:
    """When the first log line containing ``text`` at or after ``since`` was written."""
    times = [logged_at(r) for r in lines_with(daemon, text) if logged_at(r) >= since - 0.001]
    return min(times) if times else None


def sample(daemon: DaemonProcess, control_url: str, price: str) -> tuple[float, float, float]:
    """One breach: (breach -> ack, breach -> early check, decision -> ack) in seconds."""
    known = {o["client_order_id"] for o in orders(control_url)}
    before = checks_done(daemon)
    breached_at = time.time()
    pin_price(control_url, "BTC/USDT", price)
    deadline = time.monotonic() + 3700
    while not (new := [o for o in orders(control_url) if o["client_order_id"] not in known]):
        if time.monotonic() > deadline:
            raise AssertionError(f"no order after the breach:\n{daemon.log()[-2000:]}")
        time.sleep(POLL_S)
    acked_at = min(int(o["created_ms"]) for o in new) / 1000
    wait_for("the check to let go", lambda: checks_done(daemon) > before, timeout_s=60)
    decided_at = first_after(daemon, "rebalancing (", breached_at)
    early_at = first_after(daemon, "checking now", breached_at)
    assert decided_at is not None, "no decision logged"
    if acked_at - breached_at > SLOW_S:  # say what the daemon did meanwhile
        for record in log_records(daemon):
            if breached_at - 0.001 <= logged_at(record) <= acked_at:
                print(f"    {record['at'][11:23]} {record['level']:<7} {record['message']}")
    return (
        acked_at - breached_at,
        (early_at or decided_at) - breached_at,
        acked_at - decided_at,
    )


def start_sinks() -> Any:
    """The three fake sinks (the repo is on the path once ``daemon_world`` is imported)."""
    from tests.e2e.alerts_harness import Sinks
    from tests.fakes.faults import Fault

    sinks = Sinks.start()
    sinks.telegram.arm("sendMessage", Fault(count=1_000_000, hang=True))
    return sinks


def main() -> None:
    """Run the samples and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--check-interval-s", type=float, default=1.0)
    parser.add_argument(
        "--pause-s",
        type=float,
        default=2.0,
        help="idle time before a breach (shorter: the runs outpace ccxt's request budget)",
    )
    parser.add_argument(
        "--sinks",
        action="store_true",
        help="alerts to Telegram (never answering), Slack and a webhook, all loopback fakes",
    )
    args = parser.parse_args()
    sinks = start_sinks() if args.sinks else None
    extra = RISK + (sinks.toml() if sinks is not None else "")
    with world(
        balances=INSIDE, check_interval_s=args.check_interval_s, extra_daemon_toml=extra
    ) as here:
        control = str(here.sim.connection["control_url"])
        daemon = here.daemon()
        if sinks is not None:
            daemon.env = sinks.env()
        daemon.start()
        try:
            daemon.wait_for_log("rebalancer running", timeout_s=60)
            time.sleep(args.pause_s)
            totals: list[float] = []
            to_check: list[float] = []
            pipelines: list[float] = []
            for number in range(args.samples):
                total, early, pipeline = sample(daemon, control, BREACH_PRICES[number % 2])
                totals.append(total)
                to_check.append(early)
                pipelines.append(pipeline)
                print(
                    f"sample {number + 1}: breach->ack {total * 1000:.0f} ms, "
                    f"breach->check {early * 1000:.0f} ms, "
                    f"decision->ack {pipeline * 1000:.0f} ms",
                    flush=True,
                )
                time.sleep(args.pause_s)
            sent = "no alert sinks"
            if sinks is not None:
                sent = (
                    f"alerts: {len(sinks.slack.messages())} to Slack, "
                    f"{len(sinks.receiver.taken())} to the webhook, "
                    f"{len(sinks.telegram.of('sendMessage'))} to a Telegram that never answers"
                )
            print(f"check interval {args.check_interval_s} s, loopback, 2 venues (ccxt); {sent}")
            print(summary("breach -> first order acknowledged", totals))
            print(summary("breach -> early check started", to_check))
            print(summary("trigger decision -> first order acknowledged", pipelines))
        finally:
            daemon.signal(signal.SIGTERM)
            daemon.wait(timeout_s=30)
            if sinks is not None:
                sinks.stop()


if __name__ == "__main__":
    main()
