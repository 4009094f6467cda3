"""How soon the running daemon takes a run request (``rebalancer request``) and ends its run.

The simulator and the daemon run as subprocesses (``daemon_world``); the portfolio is on target
and the check interval is an hour, so nothing but the request watch (``[daemon]
request_poll_s``, 0.25 s) makes the daemon act. Each sample writes a ``full`` request into the
daemon's SQLite database exactly as ``rebalancer request`` does (``services.operations``, here in
process, so the command's own Python start-up is not counted), at a random moment of the poll
cycle, then reads the database until the run ends. From the request's stored time to:

- taken: the daemon marked the request taken (after the poll found it and a fresh snapshot of
  both venues was read over REST: the request is checked against it before it is taken);
- started: the run's ``RunTriggered`` event (planned from that snapshot);
- ended: the run's final status (the portfolio is on target: nothing to trade, so this is the
  whole overhead of a request).

``--command`` also times a few requests written by the real ``rebalancer request`` command,
from the command's start to the run taken (what a person at a shell waits, Python start-up
and the command's own validation included).

Usage::

    .venv/bin/python benchmarks/request_pickup.py [--samples 20] [--command 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from daemon_world import REPO, summary, wait_for, world
from rebalancer.domain.plan import RunType
from rebalancer.domain.requests import RunRequest
from rebalancer.persistence import SqlStore, open_store, sqlite_url
from rebalancer.runtime.clock import SystemClock
from rebalancer.runtime.state import policies_of
from rebalancer.services import operations
from rebalancer.settings import load_config

ON_TARGET = {"binance": {"BTC": "0.2", "ETH": "4", "USDT": "3000"}, "okx": {"USDT": "3000"}}
POLL_S = 0.01


async def one_request(store: SqlStore, config: Path) -> tuple[float, float, float]:
    """Write one request; return (taken, started, ended) seconds after it was stored."""
    desk = operations.Desk.of(store, SystemClock())
    policies = policies_of(load_config(config))
    accepted = await operations.request_run(
        desk, policies, RunRequest("core", RunType.FULL), by="benchmark"
    )
    run = accepted.run
    while True:
        current = await store.get_run(run.id)
        if current.status.is_terminal:
            break
        await asyncio.sleep(POLL_S)
    request = await store.get_request(run.id)
    assert request is not None
    assert request.taken_at is not None
    triggered = next(e for e in await store.events(run.id) if e.kind == "RunTriggered")
    made = request.created_at
    return (
        (request.taken_at - made).total_seconds(),
        (triggered.at - made).total_seconds(),
        (current.updated_at - made).total_seconds(),
    )


async def in_process(state: Path, config: Path, samples: int) -> list[tuple[float, float, float]]:
    """``samples`` requests, each at a random moment of the daemon's poll cycle."""
    store = await open_store(sqlite_url(state))
    try:
        found = []
        for _ in range(samples):
            await asyncio.sleep(random.uniform(0.3, 0.8))
            found.append(await one_request(store, config))
        return found
    finally:
        await store.close()


async def taken_at(state: Path, run_id: str) -> float | None:
    """When the daemon took request ``run_id`` (Unix time), or None while it has not."""
    store = await open_store(sqlite_url(state))
    try:
        request = await store.get_request(run_id)
        return None if request is None or request.taken_at is None else request.taken_at.timestamp()
    finally:
        await store.close()


def taken_probe(state: Path, run_id: str) -> Callable[[], float | None]:
    """A probe for ``wait_for``: when request ``run_id`` was taken."""
    return lambda: asyncio.run(taken_at(state, run_id))


def by_command(state: Path, config: Path, samples: int) -> list[float]:
    """``rebalancer request`` from its start to the request taken, ``samples`` times."""
    found = []
    for _ in range(samples):
        started = time.time()
        done = subprocess.run(
            [str(REPO / ".venv" / "bin" / "rebalancer"), "request", "core", "--type", "full",
             "--config", str(config)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        taken = wait_for("the request taken", taken_probe(state, done.stdout.strip()), 60)
        found.append(taken - started)
        time.sleep(1.0)  # let its run end before the next
    return found


def main() -> int:
    """Measure and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--command", type=int, default=3, help="requests by the real command")
    args = parser.parse_args()
    with world(balances=ON_TARGET, check_interval_s=3600) as built:
        daemon = built.daemon().start()
        try:
            daemon.wait_for_log(r"core: idle", timeout_s=120)
            state = built.directory / "state"
            found = asyncio.run(in_process(state, built.config, args.samples))
            commands = by_command(state, built.config, args.command) if args.command else []
        finally:
            daemon.stop()
    taken, started, ended = (list(column) for column in zip(*found, strict=True))
    print("run request -> the running daemon (request_poll_s 0.25 s, on-target portfolio):")
    print("  " + summary("taken (poll + fresh snapshot + checks)", taken))
    print("  " + summary("run started (RunTriggered)", started))
    print("  " + summary("run ended (nothing to trade)", ended))
    if commands:
        print("  " + summary("`rebalancer request` start -> taken", commands))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
