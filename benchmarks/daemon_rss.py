"""The daemon's resident memory (RSS) with two venues, after warm-up.

The simulator (random-walk prices, so quotes stream and checks keep finding drift now and
then) and the daemon run as subprocesses; the daemon has two venues (Binance and OKX
protocols over ccxt, REST and websockets), checks every second, and first carries out a run
with a transfer and orders. Warm-up ends when that run has ended; then the daemon's RSS
(``VmRSS`` in ``/proc/PID/status``, the daemon process alone, not the simulator) is sampled
every 0.5 s for ``--seconds``. Reported: RSS right after start-up, and the median and maximum
after warm-up, plus the growth from the first to the last quarter of the sampling (a leak
shows up there).

Usage::

    .venv/bin/python benchmarks/daemon_rss.py [--seconds 30]
"""

from __future__ import annotations

import argparse
import signal
import statistics
import time
from pathlib import Path

from daemon_world import DaemonProcess, world


def rss_mib(daemon: DaemonProcess) -> float:
    """The daemon process's resident set size in MiB."""
    assert daemon.process is not None
    status = Path(f"/proc/{daemon.process.pid}/status").read_text(encoding="utf-8")
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def main() -> None:
    """Warm the daemon up, sample its RSS, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    with world(check_interval_s=1.0, prices="random_walk") as here:
        daemon = here.daemon().start()
        try:
            daemon.wait_for_log("rebalancer running", timeout_s=60)
            at_start = rss_mib(daemon)
            daemon.wait_for_log(r" ended (FILLED|PARTIALLY_FILLED|FAILED)", timeout_s=120)
            samples: list[float] = []
            deadline = time.monotonic() + args.seconds
            while time.monotonic() < deadline:
                samples.append(rss_mib(daemon))
                time.sleep(0.5)
            assert daemon.process is not None
            assert daemon.process.poll() is None, daemon.log()[-2000:]
        finally:
            daemon.signal(signal.SIGTERM)
            daemon.wait(timeout_s=30)
    quarter = max(1, len(samples) // 4)
    growth = statistics.median(samples[-quarter:]) - statistics.median(samples[:quarter])
    print("daemon RSS, 2 venues (binance + okx protocols, ccxt REST + websockets)")
    print(f"after start-up (recovery done): {at_start:.1f} MiB")
    print(
        f"after warm-up, {args.seconds:.0f} s of samples: median "
        f"{statistics.median(samples):.1f} MiB, max {max(samples):.1f} MiB "
        f"(n={len(samples)})"
    )
    print(f"growth first quarter -> last quarter: {growth:+.1f} MiB")


if __name__ == "__main__":
    main()
