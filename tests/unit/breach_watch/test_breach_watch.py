"""Early checks: one per breach, debounced by a timer, none while busy or stopping.

The loop is a real ``DaemonLoop`` with no portfolios: its check of "core" returns at once
("no such portfolio", a check that started no run), so these tests count the early checks the
watch started. Time is a hand-moved clock: nothing here sleeps on real time.
"""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from rebalancer.domain.market import Market
from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import BandType, DriftBand, Policy
from rebalancer.domain.quotes import Quote
from rebalancer.domain.records import RunRecord
from rebalancer.domain.runs import RunStatus, Trigger
from rebalancer.domain.snapshot import ListedMarket, Snapshot, VenueSnapshot
from rebalancer.services.breach_watch import BreachWatch
from rebalancer.services.daemon_loop import Assembly, CheckAction, CheckResult, DaemonLoop
from rebalancer.services.rebalance_cycle import INSIDE_THE_BANDS

D = Decimal
GAP_S = 15.0
POLL_S = 0.1
POLICY = Policy(
    "core",
    "USDT",
    ("alpha",),
    {"BTC": D("50"), "USDT": D("50")},
    drift_band=DriftBand(BandType.ABSOLUTE, D("5")),
)
INSIDE = Quote(D("999"), D("1001"))  # 0.5 BTC at 1000 + 500 USDT: on target
OUTSIDE = Quote(D("1499"), D("1501"))  # BTC at 60 %: over its 55 % edge
FURTHER_OUT = Quote(D("1599"), D("1601"))


def snapshot(btc: Quote) -> Snapshot:
    market = Market(
        "BTC/USDT", "BTC", "USDT", D("0.001"), D("0.001"), D("5"), D("0.01"), D("0.001")
    )
    venue = VenueSnapshot(
        {"BTC": D("0.5"), "USDT": D("500")}, {"BTC/USDT": ListedMarket(market, btc)}
    )
    return Snapshot(datetime(2024, 3, 1, tzinfo=UTC), {"alpha": venue})


class HandClock:
    """A ``Clock`` whose time moves only in ``advance``; ``sleep`` waits for that time."""

    def __init__(self) -> None:
        self._now = datetime(2024, 3, 1, tzinfo=UTC)
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self._now + timedelta(seconds=seconds), future))
        await future

    async def advance(self, seconds: float) -> None:
        """Move time on, wake every sleeper that is due, and let the woken tasks run."""
        self._now += timedelta(seconds=seconds)
        due = [(at, f) for at, f in self._sleepers if at <= self._now]
        for entry in due:
            self._sleepers.remove(entry)
            if not entry[1].done():
                entry[1].set_result(None)
        await settle()


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def watch_on_empty_loop() -> tuple[BreachWatch, DaemonLoop, HandClock]:
    assembly = Assembly({}, breaker=None, recovery=None)  # type: ignore[arg-type]
    loop = DaemonLoop(assembly, store=None, clock=None, stop=asyncio.Event())  # type: ignore[arg-type]
    clock = HandClock()
    watch = BreachWatch(loop, clock, min_gap_s=GAP_S, busy_poll_s=POLL_S)
    watch.reset(POLICY, snapshot(INSIDE))
    return watch, loop, clock


def quote(watch: BreachWatch, btc: Quote) -> None:
    watch.on_quotes("alpha", {"BTC/USDT": btc})


async def test_a_breach_starts_one_check_and_staying_breached_starts_no_more() -> None:
    watch, _, clock = watch_on_empty_loop()
    quote(watch, INSIDE)
    assert watch.early_checks == 0
    quote(watch, OUTSIDE)
    quote(watch, FURTHER_OUT)
    await clock.advance(GAP_S * 10)
    assert watch.early_checks == 1


async def test_a_breach_inside_the_gap_fires_when_the_gap_ends_without_another_quote() -> None:
    watch, _, clock = watch_on_empty_loop()
    quote(watch, OUTSIDE)  # check 1 starts no run: a gap of GAP_S opens when it ends
    await settle()
    quote(watch, INSIDE)
    await clock.advance(10)
    quote(watch, OUTSIDE)  # a new breach 10 s into the gap, and then a quiet market
    assert watch.early_checks == 1
    assert watch.pending("core")

    await clock.advance(GAP_S - 10 - 0.5)
    assert watch.early_checks == 1
    await clock.advance(0.5)
    assert watch.early_checks == 2
    assert not watch.pending("core")
    await clock.advance(GAP_S * 10)
    assert watch.early_checks == 2  # one check per breach


async def test_a_breach_that_ends_inside_the_gap_starts_nothing_when_the_gap_ends() -> None:
    watch, _, clock = watch_on_empty_loop()
    quote(watch, OUTSIDE)
    await settle()
    quote(watch, INSIDE)
    quote(watch, OUTSIDE)
    quote(watch, FURTHER_OUT)  # more breached quotes in the gap: still one timer
    quote(watch, INSIDE)
    await clock.advance(GAP_S)
    assert watch.early_checks == 1


async def test_a_check_that_ran_a_run_opens_no_gap() -> None:
    watch, loop, _ = watch_on_empty_loop()

    async def running_check(name: str, *, manual: bool = False) -> CheckResult:
        return CheckResult(name, CheckAction.RAN, "run 1 FILLED")

    loop.check = running_check  # type: ignore[method-assign]
    quote(watch, OUTSIDE)
    await settle()
    quote(watch, INSIDE)
    quote(watch, OUTSIDE)  # a new breach of what the run left: checked at once
    await settle()
    assert watch.early_checks == 2
    assert not watch.pending("core")


async def test_a_breach_waits_while_the_portfolio_is_busy_then_fires() -> None:
    watch, loop, clock = watch_on_empty_loop()
    busy = {"core"}
    loop.is_busy = busy.__contains__  # type: ignore[method-assign]
    quote(watch, OUTSIDE)
    await clock.advance(POLL_S)
    await clock.advance(POLL_S)
    assert watch.early_checks == 0
    busy.clear()  # the scheduled check ended without re-reading the portfolio
    await clock.advance(POLL_S)
    assert watch.early_checks == 1


async def test_a_breach_seen_by_the_busy_check_is_not_checked_again() -> None:
    watch, loop, clock = watch_on_empty_loop()
    busy = {"core"}
    loop.is_busy = busy.__contains__  # type: ignore[method-assign]
    quote(watch, OUTSIDE)
    watch.reset(POLICY, snapshot(OUTSIDE))  # the running check's snapshot shows the breach
    busy.clear()
    await clock.advance(POLL_S)
    assert watch.early_checks == 0
    assert not watch.pending("core")


def ended_run(status: RunStatus, reason: str) -> RunRecord:
    at = datetime(2024, 3, 1, tzinfo=UTC)
    return RunRecord("r1", "core", RunType.FULL, Trigger.DRIFT, status, at, at, 1, None, reason)


async def test_a_breach_in_the_snapshot_after_a_run_that_ended_inside_is_checked() -> None:
    watch, loop, clock = watch_on_empty_loop()
    busy = {"core"}
    loop.is_busy = busy.__contains__  # type: ignore[method-assign]
    inside = ended_run(RunStatus.FILLED, INSIDE_THE_BANDS)
    watch.reset(POLICY, snapshot(OUTSIDE), inside)  # prices moved as the run ended
    await clock.advance(POLL_S)
    assert watch.early_checks == 0  # the run's check has not let go yet
    busy.clear()
    await clock.advance(POLL_S)
    assert watch.early_checks == 1
    quote(watch, FURTHER_OUT)
    await clock.advance(GAP_S)
    assert watch.early_checks == 1  # still the same breach


async def test_a_breach_the_run_could_not_fix_is_left_to_the_scheduled_checks() -> None:
    watch, _, clock = watch_on_empty_loop()
    residual = ended_run(RunStatus.PARTIALLY_FILLED, "residual left after 3 rounds")
    watch.reset(POLICY, snapshot(OUTSIDE), residual)
    quote(watch, FURTHER_OUT)
    await clock.advance(GAP_S)
    assert watch.early_checks == 0


async def test_quotes_of_other_venues_and_markets_start_nothing() -> None:
    watch, _, clock = watch_on_empty_loop()
    watch.on_quotes("beta", {"BTC/USDT": OUTSIDE})
    watch.on_quotes("alpha", {"ETH/USDT": OUTSIDE})
    await clock.advance(GAP_S)
    assert watch.early_checks == 0


async def test_after_a_check_that_saw_the_breach_only_a_return_inside_rearms_it() -> None:
    watch, _, clock = watch_on_empty_loop()
    watch.reset(POLICY, snapshot(OUTSIDE))  # the scheduled check already saw this breach
    quote(watch, OUTSIDE)
    await clock.advance(GAP_S)
    assert watch.early_checks == 0
    quote(watch, INSIDE)
    quote(watch, OUTSIDE)
    assert watch.early_checks == 1
    await settle()


async def test_nothing_starts_once_the_daemon_is_stopping() -> None:
    watch, loop, clock = watch_on_empty_loop()
    loop.stop.set()
    quote(watch, OUTSIDE)
    await clock.advance(GAP_S)
    assert watch.early_checks == 0
    assert not watch.pending("core")


async def test_a_breach_waiting_for_its_gap_starts_nothing_after_a_stop() -> None:
    watch, loop, clock = watch_on_empty_loop()
    quote(watch, OUTSIDE)
    await settle()
    quote(watch, INSIDE)
    quote(watch, OUTSIDE)
    assert watch.pending("core")
    loop.stop.set()
    await clock.advance(GAP_S)
    assert watch.early_checks == 1
    assert not watch.pending("core")


async def test_close_cancels_the_timers_of_waiting_breaches() -> None:
    watch, _, clock = watch_on_empty_loop()
    quote(watch, OUTSIDE)
    await settle()
    quote(watch, INSIDE)
    quote(watch, OUTSIDE)
    watch.close()
    await clock.advance(GAP_S)
    assert watch.early_checks == 1
    assert not watch.pending("core")


async def test_an_early_check_that_fails_is_logged_and_opens_the_gap(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watch, loop, _ = watch_on_empty_loop()

    async def failing_check(name: str, *, manual: bool = False) -> CheckResult:
        raise RuntimeError(f"venue unreachable while checking {name}")

    loop.check = failing_check  # type: ignore[method-assign]
    quote(watch, OUTSIDE)
    await settle()
    assert "early-check:core failed: venue unreachable while checking core" in caplog.text
    quote(watch, INSIDE)
    quote(watch, OUTSIDE)
    assert watch.pending("core")
    watch.close()


def test_a_negative_gap_or_poll_is_refused() -> None:
    loop = DaemonLoop(Assembly({}, None, None), None, None, stop=asyncio.Event())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_gap_s"):
        BreachWatch(loop, HandClock(), min_gap_s=-1)
    with pytest.raises(ValueError, match="busy_poll_s"):
        BreachWatch(loop, HandClock(), min_gap_s=1, busy_poll_s=0)
