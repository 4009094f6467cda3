"""Early checks: one per breach, debounced, none while stopping; the monitor follows each check.

The loop is a real ``DaemonLoop`` with no portfolios: its check of "core" returns at once
("no such portfolio"), so these tests count the early checks the watch started.
"""

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

from rebalancer.domain.market import Market
from rebalancer.domain.policy import BandType, DriftBand, Policy
from rebalancer.domain.quotes import Quote
from rebalancer.domain.snapshot import ListedMarket, Snapshot, VenueSnapshot
from rebalancer.services.breach_watch import BreachWatch
from rebalancer.services.daemon_loop import Assembly, DaemonLoop

D = Decimal
POLICY = Policy(
    "core",
    "USDT",
    ("alpha",),
    {"BTC": D("50"), "USDT": D("50")},
    drift_band=DriftBand(BandType.ABSOLUTE, D("5")),
)
INSIDE = Quote(D("999"), D("1001"))  # 0.5 BTC at 1000 + 500 USDT: on target
OUTSIDE = Quote(D("1499"), D("1501"))  # BTC at 60 %: over its 55 % edge


def snapshot(btc: Quote) -> Snapshot:
    market = Market(
        "BTC/USDT", "BTC", "USDT", D("0.001"), D("0.001"), D("5"), D("0.01"), D("0.001")
    )
    venue = VenueSnapshot(
        {"BTC": D("0.5"), "USDT": D("500")}, {"BTC/USDT": ListedMarket(market, btc)}
    )
    return Snapshot(datetime(2024, 3, 1, tzinfo=UTC), {"alpha": venue})


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def watch_on_empty_loop() -> tuple[BreachWatch, DaemonLoop, Ticks]:
    assembly = Assembly({}, breaker=None, recovery=None)  # type: ignore[arg-type]
    loop = DaemonLoop(assembly, store=None, clock=None, stop=asyncio.Event())  # type: ignore[arg-type]
    ticks = Ticks()
    watch = BreachWatch(loop, min_gap_s=15, monotonic=ticks)
    watch.reset(POLICY, snapshot(INSIDE))
    return watch, loop, ticks


async def test_a_breach_starts_one_check_and_staying_breached_starts_no_more() -> None:
    watch, _, _ = watch_on_empty_loop()
    watch.on_quotes("alpha", {"BTC/USDT": INSIDE})
    assert watch.early_checks == 0
    watch.on_quotes("alpha", {"BTC/USDT": OUTSIDE})
    watch.on_quotes("alpha", {"BTC/USDT": Quote(D("1599"), D("1601"))})
    assert watch.early_checks == 1
    await asyncio.sleep(0)


async def test_a_new_breach_inside_the_gap_waits_for_the_first_quote_after_it() -> None:
    watch, _, ticks = watch_on_empty_loop()
    watch.on_quotes("alpha", {"BTC/USDT": OUTSIDE})
    watch.on_quotes("alpha", {"BTC/USDT": INSIDE})
    ticks.now = 10.0
    watch.on_quotes("alpha", {"BTC/USDT": OUTSIDE})
    assert watch.early_checks == 1
    ticks.now = 15.0
    watch.on_quotes("alpha", {"BTC/USDT": OUTSIDE})
    assert watch.early_checks == 2
    await asyncio.sleep(0)


async def test_quotes_of_other_venues_and_markets_start_nothing() -> None:
    watch, _, _ = watch_on_empty_loop()
    watch.on_quotes("beta", {"BTC/USDT": OUTSIDE})
    watch.on_quotes("alpha", {"ETH/USDT": OUTSIDE})
    assert watch.early_checks == 0


async def test_after_a_check_that_saw_the_breach_only_a_return_inside_rearms_it() -> None:
    watch, _, _ = watch_on_empty_loop()
    watch.reset(POLICY, snapshot(OUTSIDE))  # the scheduled check already saw this breach
    watch.on_quotes("alpha", {"BTC/USDT": OUTSIDE})
    assert watch.early_checks == 0
    watch.on_quotes("alpha", {"BTC/USDT": INSIDE})
    watch.on_quotes("alpha", {"BTC/USDT": OUTSIDE})
    assert watch.early_checks == 1
    await asyncio.sleep(0)


async def test_nothing_starts_once_the_daemon_is_stopping() -> None:
    watch, loop, _ = watch_on_empty_loop()
    loop.stop.set()
    watch.on_quotes("alpha", {"BTC/USDT": OUTSIDE})
    assert watch.early_checks == 0


async def test_an_early_check_that_fails_is_logged_not_lost(caplog) -> None:  # type: ignore[no-untyped-def]
    watch, loop, _ = watch_on_empty_loop()

    async def failing_check(name: str, *, manual: bool = False) -> object:
        raise RuntimeError(f"venue unreachable while checking {name}")

    loop.check = failing_check  # type: ignore[method-assign,assignment]
    watch.on_quotes("alpha", {"BTC/USDT": OUTSIDE})
    for _ in range(5):
        await asyncio.sleep(0)

    assert "early-check:core failed: venue unreachable while checking core" in caplog.text
