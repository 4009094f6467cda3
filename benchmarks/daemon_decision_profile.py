"""Where the time between a band breach and the first order's acknowledgement goes, step by step.

The daemon's own check and run (``DaemonLoop.check``, built by the composition root exactly as
``rebalancer run`` builds it) runs in this process against the simulator as a subprocess: real
ccxt over loopback sockets, real SQLite with ``synchronous=FULL`` in a temporary state
directory. Each sample pins BTC's price through the control plane, waits for the quote to
stream in, and times one check. Every Store call, every venue call, market state's REST
refresh, the planner, the JSON encoders, the round checks and the pre-trade gate are wrapped
with a wall-clock span; the spans of the check are printed in order, with their offset from the
check's start, until the first ``create_order`` returned (the venue's acknowledgement).

The summary gives medians per step over the samples, and the two halves the breach benchmark
reports: check start -> decision (the fresh snapshot and the triggers) and decision -> ack.
Spans nest (a publish writes an event row) and venue calls run in parallel, so per-step sums
exceed the wall time; the timeline shows what waits on what.

Usage::

    .venv/bin/python benchmarks/daemon_decision_profile.py [--samples 7] [--timeline 1] [--cpu 30]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import inspect
import json
import pstats
import statistics
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from daemon_world import world
from rebalancer.core.planner import load_solver
from rebalancer.runtime import assembly
from rebalancer.runtime.assembly import build_loop
from rebalancer.runtime.daemon import RunOptions, open_adapters
from rebalancer.services import order_placement
from rebalancer.services.round_checks import RoundChecks
from rebalancer.settings import load_config

INSIDE = {"binance": {"BTC": "0.2", "ETH": "4", "USDT": "3000"}, "okx": {"USDT": "3000"}}
BREACH_PRICES = ("81000", "42000")
RISK = "\n[risk]\nmax_price_jump_percent = 100\nmax_cross_venue_deviation_percent = 5\n"
PAUSE_S = 2.0
GATEWAY_CALLS = (
    "create_order",
    "fetch_balances",
    "fetch_quotes",
    "fetch_order_by_client_id",
    "fetch_open_orders",
    "fetch_withdrawals",
    "fetch_deposits",
)


@dataclass
class Span:
    """One timed call."""

    name: str
    start: float
    end: float
    cpu_end: float  # the process's CPU time when the call returned


class Recorder:
    """Collects spans of wrapped calls (sync or async) while ``on``."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.on = False

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` timed under ``name``."""
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return await function(*args, **kwargs)
                finally:
                    if self.on:
                        end = time.perf_counter()
                        self.spans.append(Span(name, start, end, time.process_time()))

            return timed_async

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                if self.on:
                    end = time.perf_counter()
                    self.spans.append(Span(name, start, end, time.process_time()))

        return timed

    def wrap_methods(self, target: object, prefix: str, names: list[str]) -> None:
        """Replace ``target``'s methods ``names`` by timed ones (on the instance)."""
        for name in names:
            setattr(target, name, self.wrap(f"{prefix}.{name}", getattr(target, name)))


def instrument(recorder: Recorder) -> None:
    """Wrap the module-level steps the composition root and the executor use."""
    assembly.plan_rebalance = recorder.wrap("planner", assembly.plan_rebalance)  # type: ignore[attr-defined]
    assembly.dump_snapshot = recorder.wrap("json.snapshot", assembly.dump_snapshot)  # type: ignore[attr-defined]
    assembly.dump_plan = recorder.wrap("json.plan", assembly.dump_plan)  # type: ignore[attr-defined]
    order_placement.check_notional = recorder.wrap("gate", order_placement.check_notional)  # type: ignore[attr-defined]
    RoundChecks.before_round = recorder.wrap("round_checks.before", RoundChecks.before_round)  # type: ignore[method-assign]


def pin_price(control_url: str, price: str) -> None:
    """Pin BTC/USDT on every venue."""
    request = urllib.request.Request(
        f"{control_url}/prices",
        data=json.dumps({"symbol": "BTC/USDT", "price": price}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


async def profile(
    config_path: Any,
    control_url: str,
    samples: int,
    timeline: int,
    cpu: cProfile.Profile | None,
    slow_ms: float,
) -> None:
    """Run the samples in process and print the spans and the summary."""
    recorder = Recorder()
    instrument(recorder)
    config = load_config(config_path)
    async with open_adapters(config, RunOptions()) as wiring:
        store_calls = [
            n for n, v in inspect.getmembers(wiring.store) if inspect.iscoroutinefunction(v)
        ]
        recorder.wrap_methods(wiring.store, "store", [n for n in store_calls if n[0] != "_"])
        for venue, gateway in wiring.gateways.items():
            recorder.wrap_methods(gateway, f"{venue}", list(GATEWAY_CALLS))
        recorder.wrap_methods(wiring.market_state, "market_state", ["refresh"])
        recorder.wrap_methods(wiring.events, "events", ["publish"])
        load_solver()  # as the daemon does at start-up
        loop = build_loop(wiring, asyncio.Event())
        await loop.recover()
        await loop.check("core")  # the first check settles the start (nothing to do)
        per_step: dict[str, list[float]] = defaultdict(list)
        halves: dict[str, list[float]] = defaultdict(list)
        for number in range(samples):
            await asyncio.sleep(PAUSE_S)  # within ccxt's request budget (as the breach benchmark)
            price = BREACH_PRICES[number % 2]
            pin_price(control_url, price)
            await _quote_seen(wiring, price)
            recorder.spans.clear()
            recorder.on = True
            if cpu is not None:
                cpu.enable()
            started, cpu_started = time.perf_counter(), time.process_time()
            result = await loop.check("core")
            cpu_ms = (time.process_time() - cpu_started) * 1000
            if cpu is not None:
                cpu.disable()
            recorder.on = False
            spans = sorted(recorder.spans, key=lambda s: s.start)
            acks = [s for s in spans if s.name.endswith(".create_order")]
            runs = [s for s in spans if s.name == "store.create_run"]
            if not acks or not runs:
                print(f"sample {number + 1}: no order ({result.action}: {result.reason})")
                continue
            ack, decision = acks[0].end, runs[0].start
            halves["CPU time, check start -> ack"].append((acks[0].cpu_end - cpu_started) * 1000)
            halves["check start -> decision"].append((decision - started) * 1000)
            halves["decision -> ack"].append((ack - decision) * 1000)
            halves["check start -> ack"].append((ack - started) * 1000)
            halves["CPU time of the whole check and run"].append(cpu_ms)
            totals: dict[str, float] = defaultdict(float)
            for span in spans:
                if span.start >= decision and span.end <= ack:
                    totals[span.name] += (span.end - span.start) * 1000
            for name, total in totals.items():
                per_step[name].append(total)
            if number < timeline or (ack - started) * 1000 > slow_ms:
                _print_timeline(number + 1, spans, started, ack)
            print(
                f"sample {number + 1}: check->decision {(decision - started) * 1000:.1f} ms, "
                f"decision->ack {(ack - decision) * 1000:.1f} ms",
                flush=True,
            )
        print("\nmedians over the samples (ms):")
        for name, values in halves.items():
            print(f"  {name:<42} {statistics.median(values):8.1f}")
        print("steps between decision and ack (median total per sample, count of calls aside):")
        ranked = sorted(per_step.items(), key=lambda item: -statistics.median(item[1]))
        for name, values in ranked:
            print(f"  {name:<42} {statistics.median(values):8.1f}")


def _print_timeline(number: int, spans: list[Span], started: float, ack: float) -> None:
    print(f"--- sample {number}: spans from the check's start (ms: offset, duration)")
    for span in spans:
        if span.start > ack:
            break
        offset, took = (span.start - started) * 1000, (span.end - span.start) * 1000
        print(f"  {offset:8.1f} {took:7.1f}  {span.name}")


async def _quote_seen(wiring: Any, price: str) -> None:
    """Wait until market state holds the pinned BTC price on binance (the stream delivered)."""
    deadline = time.monotonic() + 30
    while True:
        quote = wiring.market_state.venue("binance").quotes.get("BTC/USDT")
        if quote is not None and abs(float(quote.mid) - float(price)) < float(price) * 0.01:
            return
        if time.monotonic() > deadline:
            raise AssertionError("the pinned price never streamed in")
        await asyncio.sleep(0.01)


def main() -> None:
    """Start the simulator, profile the samples."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--timeline", type=int, default=1, help="samples whose spans to print")
    parser.add_argument("--cpu", type=int, default=0, help="print the top N of a cProfile")
    parser.add_argument(
        "--slow-ms", type=float, default=1e9, help="also print the spans of slower samples"
    )
    args = parser.parse_args()
    cpu = cProfile.Profile() if args.cpu else None
    # a long interval: nothing but this script checks the portfolio
    with world(balances=INSIDE, check_interval_s=3600, extra_daemon_toml=RISK) as here:
        control = str(here.sim.connection["control_url"])
        asyncio.run(profile(here.config, control, args.samples, args.timeline, cpu, args.slow_ms))
    if cpu is not None:  # CPU time of the checks (waits on sockets and disks are not in it)
        pstats.Stats(cpu).sort_stats("tottime").print_stats(args.cpu)
        pstats.Stats(cpu).sort_stats("cumulative").print_stats("rebalancer/", args.cpu)


if __name__ == "__main__":
    main()
