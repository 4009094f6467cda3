"""How many quote updates per second market state absorbs, end to end, and whose CPU it costs.

The exchange simulator runs in a child process (one Binance-protocol venue, 20 USDT markets,
random-walk prices) with its websocket pump at full speed: every bookTicker stream is pushed
again as soon as the previous round was written. This process runs the real thing: ccxt.pro
receiving and parsing the frames, our ``CcxtGateway`` turning them into ``Quote``s, and
``MarketState`` applying them; on every applied batch a listener freezes a snapshot and
evaluates drift for a 20-asset portfolio (``rebalancer.core.drift``).

Reported: quote updates/s, drift evaluations/s, CPU time per update (this process only), and a
cProfile split of that CPU by package (ours vs ccxt vs aiohttp vs the rest). Usage::

    .venv/bin/python benchmarks/market_state_throughput.py [--seconds 5] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import pstats
import random
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

START_PRICES = {
    "BTC": "60000",
    "ETH": "3000",
    "BNB": "550",
    "SOL": "150",
    "XRP": "0.55",
    "ADA": "0.35",
    "DOGE": "0.1",
    "TRX": "0.15",
    "DOT": "4.5",
    "LINK": "11",
    "LTC": "65",
    "BCH": "330",
    "AVAX": "25",
    "ATOM": "4.5",
    "UNI": "6.5",
    "XLM": "0.09",
    "ETC": "19",
    "FIL": "3.5",
    "NEAR": "4.2",
    "APT": "6.5",
}
ASSETS = tuple(START_PRICES)
SYMBOLS = [f"{asset}/USDT" for asset in ASSETS]


def simulator_config() -> dict[str, Any]:
    """One Binance venue with the 20 markets, funded, prices on a fast random walk."""
    return {
        "simulator": {"price_interval_ms": 10, "stream_interval_ms": 10},
        "prices": {
            "source": "random_walk",
            "seed": 11,
            "step_s": 0.01,
            "start": {f"{a}/USDT": p for a, p in START_PRICES.items()},
        },
        "venues": {
            "binance": {
                "protocol": "binance",
                "markets": SYMBOLS,
                "accounts": [
                    {
                        "api_key": "bench-key",
                        "secret": "bench-secret",
                        "balances": {"USDT": "100000", **dict.fromkeys(ASSETS, "10")},
                    }
                ],
            }
        },
    }


async def serve_simulator(interval_ms: int) -> None:
    """Child process: run the simulator, print its connection, push streams every interval."""
    from rebalancer.exchange_sim.config import parse_config
    from rebalancer.exchange_sim.server import SimulatorServer

    async with SimulatorServer(parse_config(simulator_config())) as sim:
        for context in sim.contexts.values():
            context.stream_interval_ms = interval_ms  # 0: as fast as it can (config floor: 10)
        print(json.dumps(sim.connection()), flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin


class WallClock:
    """Real UTC time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def portfolio_policy() -> Any:
    """20 assets at 4.5 % each and 10 % cash, absolute 5-point bands."""
    from rebalancer.domain.policy import BandType, DriftBand, Policy

    weights = {asset: Decimal("4.5") for asset in ASSETS} | {"USDT": Decimal(10)}
    return Policy(
        name="bench",
        quote="USDT",
        venues=("binance",),
        weights=weights,
        drift_band=DriftBand(BandType.ABSOLUTE, Decimal(5)),
    )


class Counter:
    """Counts websocket frames ccxt handled, and quote updates and drift evaluations we made."""

    def __init__(self) -> None:
        self.frames = 0
        self.updates = 0
        self.evaluations = 0
        self.breaches = 0


async def measure(connection: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Run market state against the simulator; measure a plain window and a profiled one."""
    from rebalancer.core.drift import drift_of_snapshot
    from rebalancer.services.market_state import MarketDataSettings, MarketState
    from rebalancer.venues.ccxt.gateway import CcxtGateway
    from rebalancer.venues.ccxt.instance import spec_from_connection

    gateway = CcxtGateway.from_spec(spec_from_connection("binance", connection))
    settings = MarketDataSettings(max_age_s=60, stream_silent_after_s=30, rest_poll_interval_s=5)
    state = MarketState(
        {"binance": gateway}, {"binance": SYMBOLS}, WallClock(), settings, rng=random.Random(1)
    )
    policy = portfolio_policy()
    counter = Counter()

    def on_quotes(venue: str, quotes: Any) -> None:
        counter.updates += len(quotes)
        report = drift_of_snapshot(state.snapshot([venue]), policy)
        counter.evaluations += 1
        counter.breaches += len(report.breached)

    state.add_quote_listener(on_quotes)
    handle_message = gateway.exchange.handle_message

    def counting(client: Any, message: Any) -> Any:  # instrumentation: count frames only
        counter.frames += 1
        return handle_message(client, message)

    gateway.exchange.handle_message = counting
    try:
        async with state:
            await asyncio.sleep(1.0)  # warm up: subscribed, caches filled
            plain = await _window(counter, seconds)
            profiler = cProfile.Profile(time.process_time)  # CPU, not wall: idle excluded
            profiler.enable()
            profiled = await _window(counter, seconds)
            profiler.disable()
    finally:
        await gateway.close()
    return {"plain": plain, "profiled": profiled, "shares": cpu_shares(profiler)}


async def _window(counter: Counter, seconds: float) -> dict[str, float]:
    frames, updates, evaluations = counter.frames, counter.updates, counter.evaluations
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    frames = counter.frames - frames
    updates, evaluations = counter.updates - updates, counter.evaluations - evaluations
    return {
        "seconds": wall,
        "frames": frames,
        "frames_per_s": frames / wall,
        "cpu_us_per_frame": cpu / frames * 1e6 if frames else float("nan"),
        "updates": updates,
        "updates_per_s": updates / wall,
        "drift_evaluations_per_s": evaluations / wall,
        "cpu_s": cpu,
        "cpu_share_of_one_core": cpu / wall,
        "cpu_us_per_update": cpu / updates * 1e6 if updates else float("nan"),
    }


PACKAGES = (
    ("/rebalancer/", "rebalancer (ours)"),
    ("/ccxt/", "ccxt"),
    ("/aiohttp/", "aiohttp"),
    ("/yarl/", "aiohttp"),
    ("/multidict/", "aiohttp"),
    ("/asyncio/", "asyncio"),
    ("<string>", "rebalancer (ours)"),  # dataclass-generated __init__/__eq__ of our values
    ("/lib/python3", "stdlib"),
)


def cpu_shares(profiler: cProfile.Profile) -> dict[str, float]:
    """Each package's share of the profiled CPU (own time).

    Time inside C builtins (json parsing, Decimal arithmetic, ...) is charged to the package of
    the Python function that called them, in proportion to each caller's calls.
    """
    stats = pstats.Stats(profiler)
    totals: dict[str, float] = defaultdict(float)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _, _), (_, _, own, _, callers) in raw.items():
        if filename != "~" or not callers:
            totals[_package(filename)] += own
            continue
        calls = sum(entry[1] for entry in callers.values()) or 1
        for (caller_file, _, _), entry in callers.items():
            totals[_package(caller_file)] += own * entry[1] / calls
    everything = sum(totals.values()) or 1.0
    return {name: round(100 * value / everything, 1) for name, value in sorted(totals.items())}


def _package(filename: str) -> str:
    if filename == "~":
        return "builtins (C)"
    for marker, name in PACKAGES:
        if marker in filename:
            return name
    return "other Python"


def main() -> int:
    """Start the simulator child, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--interval-ms", type=int, default=0, help="simulator push interval (0: flood)"
    )
    parser.add_argument("--child-sim", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_sim:
        asyncio.run(serve_simulator(args.interval_ms))
        return 0
    child = subprocess.Popen(
        [sys.executable, __file__, "--child-sim", "--interval-ms", str(args.interval_ms)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        connection = json.loads(child.stdout.readline())
        result = asyncio.run(measure(connection, args.seconds))
    finally:
        with contextlib.suppress(BrokenPipeError):
            assert child.stdin is not None
            child.stdin.close()
        child.wait(timeout=10)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0


def _print(result: dict[str, Any]) -> None:
    plain = result["plain"]
    print(
        f"bookTicker frames absorbed end to end: {plain['frames_per_s']:,.0f}/s "
        f"({plain['frames']} in {plain['seconds']:.1f} s), "
        f"{plain['cpu_us_per_frame']:.0f} us CPU per frame"
    )
    print(
        f"quote updates applied (latest per symbol at each wake-up): "
        f"{plain['updates_per_s']:,.0f}/s"
    )
    print(f"drift evaluations:      {plain['drift_evaluations_per_s']:,.0f}/s")
    print(f"CPU of this process:    {plain['cpu_share_of_one_core']:.0%} of one core")
    print("CPU by package (cProfile, own time):")
    for name, share in sorted(result["shares"].items(), key=lambda kv: -kv[1]):
        print(f"  {name:<20} {share:5.1f} %")


if __name__ == "__main__":
    raise SystemExit(main())
