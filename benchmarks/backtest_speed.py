"""How long ``rebalancer backtest`` takes on the real Binance data, and where the time goes.

Three cases from the issue's speed bar (the data in ``../shared/data``; skipped without it):

* daily: 2018-01-01 to 2024-12-31, 21 assets, a 5-point absolute band (band edge, the default;
  ``daily-target`` trades back to target instead): under 2 s;
* hourly: 2021-01-01 to 2024-12-31, 19 assets (4h bars fill BTC and ETH before 2022): under 30 s;
* sweep: 40 policy variants (bands, calendars, trade-to) on daily data in 2 processes: under
  30 s; ``sweep`` on five large coins (BTC ETH BNB XRP LTC), ``sweep-21`` on all 21 assets.

Each time covers loading the prices, the replay through the daemon's code and the figures (not
interpreter start-up or imports); comparisons and the clairvoyant bound are left out (they are
separate replays and an LP: ``--bound`` times the bound of the daily case too). Wall-clock and
CPU seconds are printed with the load average, because the machine may be shared.

``--profile`` runs a case under cProfile and sums the time by where it is spent: the planner
(core.planner and HiGHS), the exchange engine (exchange_sim and venues.simulated), the daemon's
services (checks, runs, orders, events), the journal and JSON, and the backtest's own loop.
``--phases`` times the same parts without a profiler (CPU seconds of each, nested ones apart).

    .venv/bin/python benchmarks/backtest_speed.py [daily|hourly|sweep ...] [--profile|--phases]
        [--bound]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rebalancer.backtest.analysis import analyse
from rebalancer.backtest.prices import PriceTable, load_prices
from rebalancer.backtest.spec import BacktestSetup, Scenario, SpreadModel
from rebalancer.backtest.sweep import parse_grid, run_grid
from rebalancer.core.pretrade import PretradeLimits
from rebalancer.domain.market import Market
from rebalancer.domain.policy import BandType, DriftBand, Policy, RebalanceTo
from rebalancer.exchange_sim.engine.rules import markets_from_exchange_info
from rebalancer.services.execution_settings import ExecutionSettings

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
KLINES = DATA / "binance-spot-klines"
INFO = DATA / "exchange-info" / "binance-spot-2024-09-08.json"
DAILY = [
    "ADA",
    "ATOM",
    "AVAX",
    "BCH",
    "BNB",
    "BTC",
    "DOGE",
    "DOT",
    "ETC",
    "ETH",
    "LINK",
    "LTC",
    "MATIC",
    "PAXG",
    "SHIB",
    "SOL",
    "TRX",
    "UNI",
    "XLM",
    "XMR",
    "XRP",
]
HOURLY = [a for a in DAILY if a not in {"BCH", "SHIB"}]  # 19 with hourly (or 4h) bars by 2021
MAJORS = ["BTC", "ETH", "BNB", "XRP", "LTC"]
SWEEP = ["band=2,3,5,8,10", "every=none,weekly,monthly,quarterly", "rebalance_to=band_edge,target"]


@dataclass(frozen=True, slots=True)
class Case:
    """One timed case: its assets, range and interval, and its bar."""

    name: str
    assets: list[str]
    start: datetime
    end: datetime
    interval: str
    bar_s: float
    rebalance_to: RebalanceTo = RebalanceTo.BAND_EDGE


CASES = {
    "daily": Case(
        "daily",
        DAILY,
        datetime(2018, 1, 1, tzinfo=UTC),
        datetime(2024, 12, 31, tzinfo=UTC),
        "1d",
        2.0,
    ),
    "daily-target": Case(
        "daily-target",
        DAILY,
        datetime(2018, 1, 1, tzinfo=UTC),
        datetime(2024, 12, 31, tzinfo=UTC),
        "1d",
        2.0,
        RebalanceTo.TARGET,
    ),
    "hourly": Case(
        "hourly",
        HOURLY,
        datetime(2021, 1, 1, tzinfo=UTC),
        datetime(2024, 12, 31, tzinfo=UTC),
        "1h",
        30.0,
    ),
}


def markets(assets: list[str]) -> dict[str, Market]:
    """Real Binance rules; XMR (delisted before the file was taken) gets typical ones by hand."""
    import json

    info = json.loads(INFO.read_text(encoding="utf-8"))
    listed = [a for a in assets if a != "XMR"]
    found = {m.symbol: m for m in markets_from_exchange_info(info, [f"{a}/USDT" for a in listed])}
    if "XMR" in assets:
        found["XMR/USDT"] = Market(
            "XMR/USDT",
            "XMR",
            "USDT",
            Decimal("0.001"),
            Decimal("0.001"),
            Decimal(5),
            Decimal("0.01"),
            Decimal("0.001"),
        )
    return found


def policy(assets: list[str], to: RebalanceTo = RebalanceTo.BAND_EDGE) -> Policy:
    """Equal weights (4.76 % each for 21), no cash target to speak of, a 5-point band."""
    share = (Decimal(100) / len(assets)).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    weights = dict.fromkeys(assets, share)
    weights["USDT"] = Decimal(100) - share * len(assets)
    return Policy(
        "index",
        "USDT",
        ("binance",),
        weights,
        rebalance_to=to,
        drift_band=DriftBand(BandType.ABSOLUTE, Decimal(5)),
    )


def setup(assets: list[str]) -> BacktestSetup:
    return BacktestSetup(
        start_value=Decimal(100000),
        fees={"binance": Decimal("0.001")},
        markets=markets(assets),
        spread=SpreadModel(fixed_bps=Decimal(5)),
    )


def scenario(assets: list[str], to: RebalanceTo = RebalanceTo.BAND_EDGE) -> Scenario:
    execution = ExecutionSettings(limits=PretradeLimits(max_price_move=None))
    return Scenario("policy", policy(assets, to), execution)


def load(case: Case) -> PriceTable:
    return load_prices(KLINES, case.assets, "USDT", case.interval, start=case.start, end=case.end)


def cpu_s() -> float:
    """CPU seconds of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(label: str, bar_s: float, work: Callable[[], str]) -> None:
    load_before = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), cpu_s()
    detail = work()
    wall, cpu = time.perf_counter() - wall, cpu_s() - cpu
    verdict = "ok" if wall < bar_s else "OVER"
    print(
        f"{label}: {wall:.2f} s wall, {cpu:.2f} s CPU (bar {bar_s:.0f} s: {verdict}); "
        f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
        f"{detail}",
        flush=True,
    )


def run_case(case: Case, *, bound: bool = False) -> str:
    table = load(case)
    world = setup(case.assets)
    analysis = analyse(
        "policy", table, world, scenario(case.assets, case.rebalance_to), bound=bound
    )
    figures = analysis.figures
    shown = (
        f"bound {analysis.bound.cost:,.0f} in {analysis.bound.seconds:.1f} s, "
        if analysis.bound
        else ""
    )
    return (
        f"{len(table):,} bars, {figures.rebalances} rebalances, {len(analysis.result.fills):,} "
        f"fills, {shown}final value {figures.final_value:,.0f}"
    )


def run_sweep(jobs: int, assets: list[str]) -> str:
    case = CASES["daily"]
    table = load_prices(KLINES, assets, "USDT", "1d", start=case.start, end=case.end)
    grid = parse_grid(SWEEP)
    rows = run_grid(table, setup(assets), scenario(assets), grid, jobs=jobs, bound=False)
    slowest = max(rows, key=lambda row: row.seconds)
    which = " ".join(slowest.values.values())
    return f"{len(rows)} variants, slowest {slowest.seconds:.1f} s ({which})"


GROUPS = (
    ("planner (core.planner, HiGHS)", ("core/planner", "highspy")),
    ("exchange engine (exchange_sim, venues.simulated)", ("exchange_sim", "venues/simulated")),
    ("JSON (codecs, json)", ("codecs", "json/")),
    ("journal (memory store)", ("backtest/memory",)),
    ("daemon services (checks, runs, orders, events)", ("services/",)),
    ("drift, triggers, valuation (core)", ("core/",)),
    ("backtest loop, ledger, figures", ("backtest/",)),
    ("asyncio", ("asyncio/",)),
)


def profile(case: Case) -> None:
    """cProfile the case and sum the time by group.

    The backtest plans in the main thread (``CycleDeps.plan_aside`` off), so cProfile sees the
    planner too; it inflates pure-Python parts (the planner's model building, the services)
    against the C ones (HiGHS, Decimal).
    """
    profiler = cProfile.Profile()
    profiler.enable()
    run_case(case)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    totals: dict[str, float] = {}
    plans = 0
    for (filename, _, name), (_, calls, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if filename.endswith("core/planner/__init__.py") and name == "plan_rebalance":
            plans += calls
        if "highspy" in name:
            group = GROUPS[0][0]
        else:
            group = next((g for g, keys in GROUPS if any(k in filename for k in keys)), "other")
            if filename == "~" and group == "other":
                group = "built-ins (Decimal, dict, str, ...)"
        totals[group] = totals.get(group, 0.0) + tottime
    overall = sum(totals.values())
    print(f"profile of {case.name}: {plans} plans (cProfile inflates Python-heavy parts):")
    for group, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        if seconds >= 0.005:
            print(f"  {group:<62} {seconds:6.2f} s  {seconds / overall:5.1%}")
    top = io.StringIO()
    pstats.Stats(profiler, stream=top).sort_stats("cumulative").print_stats(25)
    print(top.getvalue())


def _timed(original: Callable[..., Any], label: str, totals: dict[str, float]) -> Any:
    """``original`` (a function or coroutine function) adding its CPU time to ``label``."""
    import inspect

    if inspect.iscoroutinefunction(original):

        async def timed_coroutine(*args: object, **kwargs: object) -> object:
            started = time.thread_time()
            try:
                return await original(*args, **kwargs)
            finally:
                totals[label] = totals.get(label, 0.0) + time.thread_time() - started

        return timed_coroutine

    def timed_function(*args: object, **kwargs: object) -> object:
        started = time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            totals[label] = totals.get(label, 0.0) + time.thread_time() - started

    return timed_function


def phases(case: Case) -> None:
    """CPU seconds of the case's main parts, without a profiler; indented parts are within the
    part above them, and a coroutine's time includes what it awaits."""
    import highspy

    import rebalancer.backtest.replay as replay_module
    from rebalancer.backtest.feed import PriceFeed
    from rebalancer.backtest.memory_store import MemoryStore
    from rebalancer.services import daemon_loop
    from rebalancer.services.event_hub import EventHub
    from rebalancer.services.executor import Executor
    from rebalancer.venues.simulated.snapshots import EngineSnapshots

    parts: tuple[tuple[Any, str, str], ...] = (
        (PriceFeed, "apply", "price feed (mids into the engine)"),
        (EngineSnapshots, "snapshot", "snapshots"),
        (daemon_loop, "drift_of_snapshot", "drift of each check"),
        (replay_module, "plan_rebalance", "planner"),
        (highspy.Highs, "run", "  HiGHS solving"),
        (Executor, "execute", "orders (executor, engine, journal, their events)"),
        (EventHub, "publish", "events (all, some within orders)"),
        (MemoryStore, "save_round", "rounds kept (snapshot and plan JSON)"),
    )
    totals: dict[str, float] = {}
    originals = [getattr(owner, name) for owner, name, _ in parts]
    for (owner, name, label), original in zip(parts, originals, strict=True):
        setattr(owner, name, _timed(original, label, totals))
    try:
        cpu = time.process_time()
        detail = run_case(case)
        cpu = time.process_time() - cpu
    finally:
        for (owner, name, _), original in zip(parts, originals, strict=True):
            setattr(owner, name, original)
    print(f"phases of {case.name} ({detail}): {cpu:.2f} s CPU in all")
    for _, _, label in parts:
        seconds = totals.get(label, 0.0)
        print(f"  {label:<52} {seconds:6.2f} s  {seconds / cpu:5.1%}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("cases", nargs="*", default=["daily", "daily-target", "hourly", "sweep"])
    parser.add_argument("--profile", action="store_true", help="profile the cases instead")
    parser.add_argument("--phases", action="store_true", help="time the cases' main parts")
    parser.add_argument("--bound", action="store_true", help="time the daily case's bound too")
    parser.add_argument("--jobs", type=int, default=2, help="sweep processes (default 2)")
    args = parser.parse_args()
    if not KLINES.is_dir():
        print(f"skipped: no price data at {KLINES}")
        return 0
    for name in args.cases:
        if args.profile and name in CASES:
            profile(CASES[name])
        elif args.phases and name in CASES:
            phases(CASES[name])
        elif name in CASES:
            case = CASES[name]
            timed(
                f"{case.name} ({len(case.assets)} assets, {case.interval})",
                case.bar_s,
                lambda case=case: run_case(case, bound=args.bound),
            )
        elif name in ("sweep", "sweep-21"):
            assets = MAJORS if name == "sweep" else DAILY
            timed(
                f"{name} (40 variants, daily, {len(assets)} assets, {args.jobs} processes)",
                30.0,
                lambda assets=assets: run_sweep(args.jobs, assets),
            )
        else:
            print(f"unknown case {name!r}: daily, hourly or sweep")
            return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
