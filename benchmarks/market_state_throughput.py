"""How many quote updates per second market state absorbs, end to end, and whose CPU it costs.

The exchange simulator runs in a child process (one Binance-protocol venue, 20 USDT markets,
random-walk prices) with its websocket pump at full speed: every bookTicker stream is pushed
again as soon as the previous round was written. This process runs the real thing: ccxt.pro
receiving and parsing the frames, our ``CcxtGateway`` turning them into ``Quote``s, and
``MarketState`` applying them; a quote listener then checks the drift of a 20-asset portfolio,
in one of three ways (``--drift-per``):

* ``update`` (default; what the daemon does): every applied quote goes to an incremental
  ``DriftMonitor`` (``rebalancer.core.drift_monitor``), initialised once from a snapshot;
* ``report``: every applied quote freezes a snapshot and builds the full ``DriftReport``
  (``rebalancer.core.drift``), the daemon's per-update cost before the monitor;
* ``batch``: one snapshot and full report per applied batch.

Reported: quote updates/s, drift evaluations/s, CPU time per update (this process only), and a
cProfile split of that CPU by package (ours vs ccxt vs aiohttp vs the rest). Usage::

    .venv/bin/python benchmarks/market_state_throughput.py [--seconds 5] [--interval-ms 2]
        [--drift-per update|report|batch] [--json]
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
# Binance's LOT_SIZE / NOTIONAL / PRICE_FILTER for the markets the simulator has no built-in
# rules for (exchangeInfo, autumn 2024).
EXTRA_RULES = {
    f"{asset}/USDT": {
        "amount_step": step,
        "min_amount": step,
        "min_notional": "5",
        "price_tick": tick,
    }
    for asset, step, tick in (
        ("FIL", "0.01", "0.001"),
        ("NEAR", "0.1", "0.001"),
        ("APT", "0.01", "0.001"),
    )
}
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
                "rules": EXTRA_RULES,
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
    """Child process: run the simulator, print its connection, push streams every interval.

    Each line the parent writes to our stdin is a new push interval in ms (0: flood); end of
    input stops the simulator.
    """
    from rebalancer.exchange_sim.config import parse_config
    from rebalancer.exchange_sim.server import SimulatorServer

    async with SimulatorServer(parse_config(simulator_config())) as sim:
        _set_interval(sim, interval_ms)
        print(json.dumps(sim.connection()), flush=True)
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            _set_interval(sim, int(line))


def _set_interval(sim: Any, interval_ms: int) -> None:
    for context in sim.contexts.values():
        context.stream_interval_ms = interval_ms  # below the config floor of 10 on purpose


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
    """Frames ccxt handled, quote updates and drift evaluations we made, and where time went.

    The ``*_ns`` fields add up the wall time spent inside ccxt's message handler (its parsing)
    and inside our code on the quote path (gateway cursor and conversion to ``Quote``, applying
    to market state, snapshot and drift). Both are synchronous, so on an otherwise idle core
    their wall time is their CPU time.
    """

    def __init__(self) -> None:
        self.frames = 0
        self.updates = 0
        self.evaluations = 0
        self.breaches = 0
        self.ccxt_ns = 0
        self.ours_ns = 0


def timed(counter: Counter, field: str, function: Any) -> Any:
    """``function`` wrapped so that its wall time is added to ``counter.<field>``."""
    clock = time.perf_counter_ns

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = clock()
        try:
            return function(*args, **kwargs)
        finally:
            setattr(counter, field, getattr(counter, field) + clock() - start)

    return wrapper


async def measure(
    connection: dict[str, Any],
    seconds: float,
    set_interval: Any,
    intervals: tuple[int, int],
    drift_per: str,
) -> dict[str, Any]:
    """Run market state against the simulator; measure a plain window and a profiled one.

    The profiled window runs at ``intervals[1]`` because cProfile slows this process down
    several times: at the plain window's rate it would fall behind and ccxt would conflate.
    """
    from rebalancer.core.drift import drift_of_snapshot
    from rebalancer.core.drift_monitor import DriftMonitor
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
    monitors: list[DriftMonitor] = []  # set once market state is ready

    def on_quotes(venue: str, quotes: Any) -> None:
        counter.updates += len(quotes)
        if drift_per == "update":
            # As the daemon's BreachWatch does: each applied quote updates the monitor.
            for monitor in monitors:
                for symbol, quote in quotes.items():
                    if monitor.watches(venue, symbol):
                        counter.breaches += monitor.update_quote(venue, symbol, quote)
                        counter.evaluations += 1
            return
        # "report": one full evaluation per applied quote; "batch": one per applied batch.
        for _ in range(len(quotes) if drift_per == "report" else 1):
            report = drift_of_snapshot(state.snapshot([venue]), policy)
            counter.evaluations += 1
            counter.breaches += len(report.breached)

    state.add_quote_listener(on_quotes)
    _instrument(gateway, state, counter)
    try:
        async with state:
            await asyncio.sleep(1.0)  # warm up: subscribed, caches filled
            monitors.append(DriftMonitor(state.snapshot(["binance"]), policy))
            plain = await _window(counter, seconds)
            set_interval(intervals[1])
            await asyncio.sleep(0.5)
            profiler = cProfile.Profile(time.process_time)  # CPU, not wall: idle excluded
            profiler.enable()
            profiled = await _window(counter, seconds)
            profiler.disable()
    finally:
        await gateway.close()
    return {
        "intervals_ms": {"plain": intervals[0], "profiled": intervals[1]},
        "drift_per": drift_per,
        "plain": plain,
        "profiled": profiled,
        "shares": cpu_shares(profiler),
        "top": top_functions(profiler, 25),
    }


def _instrument(gateway: Any, state: Any, counter: Counter) -> None:
    """Count frames and time ccxt's message handler and our quote path (instance attributes)."""
    exchange = gateway.exchange
    handle_message = timed(counter, "ccxt_ns", exchange.handle_message)

    def counting(client: Any, message: Any) -> Any:
        counter.frames += 1
        return handle_message(client, message)

    exchange.handle_message = counting
    cursor = gateway._quote_cursor
    cursor.changed = timed(counter, "ours_ns", cursor.changed)
    gateway._quotes = timed(counter, "ours_ns", gateway._quotes)
    state._apply_quotes = timed(counter, "ours_ns", state._apply_quotes)


async def _window(counter: Counter, seconds: float) -> dict[str, float]:
    before = dict(vars(counter))
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    delta = {name: value - before[name] for name, value in vars(counter).items()}
    frames, updates = delta["frames"], delta["updates"]
    return {
        "seconds": wall,
        "frames": frames,
        "frames_per_s": frames / wall,
        "cpu_us_per_frame": cpu / frames * 1e6 if frames else float("nan"),
        "updates": updates,
        "updates_per_s": updates / wall,
        "drift_evaluations_per_s": delta["evaluations"] / wall,
        "cpu_s": cpu,
        "cpu_share_of_one_core": cpu / wall,
        "cpu_us_per_update": cpu / updates * 1e6 if updates else float("nan"),
        "ccxt_parse_us_per_update": delta["ccxt_ns"] / 1e3 / updates if updates else float("nan"),
        "ours_us_per_update": delta["ours_ns"] / 1e3 / updates if updates else float("nan"),
        "ccxt_parse_share": delta["ccxt_ns"] / 1e9 / cpu if cpu else float("nan"),
        "ours_share": delta["ours_ns"] / 1e9 / cpu if cpu else float("nan"),
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


def top_functions(profiler: cProfile.Profile, count: int) -> list[str]:
    """The ``count`` functions with the most own CPU time, as ``package: file:line(name) ms``."""
    raw: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    ranked = sorted(raw.items(), key=lambda item: -item[1][2])[:count]
    return [
        f"{_package(file)}: {file.rsplit('/', 1)[-1]}:{line}({name}) {own * 1e3:.0f} ms"
        for (file, line, name), (_, _, own, _, _) in ranked
    ]


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
        "--interval-ms", type=int, default=2, help="simulator push interval (0: flood)"
    )
    parser.add_argument(
        "--profile-interval-ms",
        type=int,
        default=None,
        help="push interval of the profiled window (default: 40; cProfile costs ~6x)",
    )
    parser.add_argument(
        "--drift-per",
        choices=("update", "report", "batch"),
        default="update",
        help="per applied quote with the incremental monitor (default, as the daemon does), "
        "per applied quote with the full report, or a full report per applied batch",
    )
    parser.add_argument("--child-sim", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_sim:
        asyncio.run(serve_simulator(args.interval_ms))
        return 0
    profile_interval = args.profile_interval_ms
    if profile_interval is None:
        profile_interval = max(40, 4 * args.interval_ms)
    child = subprocess.Popen(
        [sys.executable, __file__, "--child-sim", "--interval-ms", str(args.interval_ms)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None
    assert child.stdout is not None
    stdin = child.stdin

    def set_interval(interval_ms: int) -> None:
        stdin.write(f"{interval_ms}\n")
        stdin.flush()

    try:
        connection = json.loads(child.stdout.readline())
        result = asyncio.run(
            measure(
                connection,
                args.seconds,
                set_interval,
                (args.interval_ms, profile_interval),
                args.drift_per,
            )
        )
    finally:
        with contextlib.suppress(BrokenPipeError):
            stdin.close()
        child.wait(timeout=10)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0


DRIFT_MODES = {
    "update": "incremental monitor on every applied quote",
    "report": "full report (snapshot + DriftReport) on every applied quote",
    "batch": "full report once per applied batch",
}


def _print(result: dict[str, Any]) -> None:
    plain, profiled = result["plain"], result["profiled"]
    intervals = result["intervals_ms"]
    print(
        f"simulator push interval {intervals['plain']} ms per stream; "
        f"drift: {DRIFT_MODES[result['drift_per']]}"
    )
    print(
        f"bookTicker frames handled by ccxt: {plain['frames_per_s']:,.0f}/s "
        f"({plain['frames']} in {plain['seconds']:.1f} s)"
    )
    print(
        f"quote updates applied:  {plain['updates_per_s']:,.0f}/s "
        f"({plain['updates'] / max(plain['frames'], 1):.1%} of frames)"
    )
    print(f"drift evaluations:      {plain['drift_evaluations_per_s']:,.0f}/s")
    print(
        f"CPU of this process:    {plain['cpu_share_of_one_core']:.0%} of one core, "
        f"{plain['cpu_us_per_update']:.0f} us per update "
        f"(one core: ~{1e6 / plain['cpu_us_per_update']:,.0f} updates/s)"
    )
    print(
        f"  in ccxt's message handler: {plain['ccxt_parse_us_per_update']:.0f} us/update "
        f"({plain['ccxt_parse_share']:.0%}); in our quote path incl. drift: "
        f"{plain['ours_us_per_update']:.0f} us/update ({plain['ours_share']:.0%}); "
        f"rest (aiohttp, event loop, ccxt's receive loop): "
        f"{1 - plain['ccxt_parse_share'] - plain['ours_share']:.0%}"
    )
    print(
        f"CPU by package (cProfile at {intervals['profiled']} ms, own time; "
        f"{profiled['updates_per_s']:,.0f} updates/s, "
        f"{profiled['updates'] / max(profiled['frames'], 1):.1%} of frames applied):"
    )
    for name, share in sorted(result["shares"].items(), key=lambda kv: -kv[1]):
        print(f"  {name:<20} {share:5.1f} %")


if __name__ == "__main__":
    raise SystemExit(main())
