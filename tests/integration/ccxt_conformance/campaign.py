"""Run ccxt's own tests against one simulator serving a Binance and an OKX venue.

The simulator is real (``SimulatorServer`` on 127.0.0.1) and so is ccxt: every test gets its
own ``ccxt.pro`` client pointed at the venue the way a user points one (the connection's
``urls`` and ``options``). As in ccxt's own runner, the tests of one exchange run at the same
time; the two venues run side by side.

1. Seed each account with a history a real account would have: an open order, a cancelled
   one, filled market orders on both markets, a deposit from outside, a withdrawal that
   arrived on the other venue, one still pending and one that failed and was refunded.
2. Run the REST tests (and the ported ``createOrder``, and the expected failures again with
   ccxt's skip properties).
3. Run the websocket tests while a second client trades both markets a few times a second, so
   trade, order, balance and candle streams have something to say (as a live market does).

Every client records what the method under test returned, so a test that passed without
seeing any data is caught (ccxt's own non-empty check is inverted in 4.5.90). Every HTTP
request and websocket is checked to stay on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import ccxt.pro as ccxtpro
from tests.integration.ccxt_conformance import create_order_port
from tests.integration.ccxt_conformance.catalog import (
    CODE,
    PROTOCOLS,
    SYMBOL,
    SYMBOLS,
    CcxtTest,
    ExpectedFailure,
    Skip,
    Unsupported,
    discover,
    expectation,
)

from rebalancer.exchange_sim.config import parse_config
from rebalancer.exchange_sim.server import SimulatorServer

REST_TIMEOUT_S = 60.0
WS_TIMEOUT_S = 90.0
CHURN_PAUSE_S = 0.3
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
PORTED_CREATE_ORDER = "createOrder (ported)"
CANCELED_ORDERS = "fetchCanceledOrders (ccxt validators)"
# the ported test's documented hook: exchanges without a minimum cost (OKX) skip that lookup
PORT_SKIPS = {"binance": {}, "okx": {create_order_port.NO_MINIMUM_COST: True}}

CONFIG: dict[str, Any] = {
    "simulator": {"price_interval_ms": 200, "stream_interval_ms": 100},
    "prices": {
        "source": "random_walk",
        "seed": 11,
        "annual_volatility": 0.7,
        "start": {"BTC/USDT": "60000", "ETH/USDT": "3000"},
    },
    "venues": {
        protocol: {
            "protocol": protocol,
            "markets": SYMBOLS,
            "accounts": [
                {
                    "api_key": f"conformance-{protocol}-key",
                    "secret": f"conformance-{protocol}-secret",
                    "passphrase": "conformance-pass" if protocol == "okx" else None,
                    "balances": {"USDT": "100000", "BTC": "2", "ETH": "20"},
                }
            ],
            "networks": [
                {
                    "asset": "USDT",
                    "network": "TRC20",
                    "fee": "1",
                    "min_amount": "10",
                    "delay_s": 600,
                    "default": True,
                },
                {
                    "asset": "BTC",
                    "network": "BTC",
                    "fee": "0.0002",
                    "min_amount": "0.001",
                    "delay_s": 600,
                    "default": True,
                },
            ],
        }
        for protocol in PROTOCOLS
    },
}


@dataclass
class Outcome:
    """What one test did: its failure (None if it passed) and what the method returned."""

    error: BaseException | None = None
    trace: str = ""
    calls: int = 0
    non_empty: int = 0
    confirm_error: BaseException | None = None
    confirm_trace: str = ""


@dataclass
class Results:
    """Every outcome by (protocol, test name), plus how the background trading went."""

    outcomes: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    churn_orders: dict[str, int] = field(default_factory=dict)
    churn_errors: list[str] = field(default_factory=list)
    left_loopback: list[str] = field(default_factory=list)


def deep_merge(target: dict[str, Any], overrides: Mapping[str, Any]) -> None:
    """Merge ``overrides`` into ``target`` recursively (how users apply the connection)."""
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = value


def snake(method: str) -> str:
    """``fetchOHLCV`` -> ``fetch_ohlcv`` (ccxt's Python method names)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", method.replace("OHLCV", "Ohlcv")).lower()


def non_empty(value: object) -> bool:
    """True when a method returned something to check (a non-empty list or dict)."""
    if isinstance(value, (list, tuple, dict)):
        return len(value) > 0
    return value is not None


class Clients:
    """ccxt.pro clients pointed at the simulator's venues; all closed by ``close``."""

    def __init__(self, sim: SimulatorServer, results: Results) -> None:
        self.connection = sim.connection()
        self.results = results
        self.opened: list[Any] = []

    async def new(self, venue: str, *, load: bool = True) -> Any:
        """A client for ``venue``, as a user builds one, with markets loaded."""
        info = self.connection["venues"][venue]
        exchange = getattr(ccxtpro, info["exchange"])(
            {
                "apiKey": info["apiKey"],
                "secret": info["secret"],
                "password": info["password"],
                "enableRateLimit": False,
                "timeout": 10_000,
            }
        )
        deep_merge(exchange.urls, info["urls"])
        deep_merge(exchange.options, info["options"])
        self._stay_on_loopback(exchange)
        self.opened.append(exchange)
        if load:
            await exchange.load_markets()
        return exchange

    def _stay_on_loopback(self, exchange: Any) -> None:
        """Refuse any request or websocket that would leave 127.0.0.1 (and note it)."""
        fetch, client = exchange.fetch, exchange.client
        left = self.results.left_loopback

        def check(url: str) -> None:
            if urlsplit(url).hostname not in LOOPBACK:
                left.append(url)
                raise AssertionError(f"a test tried to leave 127.0.0.1: {url}")

        async def guarded_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
            check(url)
            return await fetch(url, *args, **kwargs)

        def guarded_client(url: str) -> Any:
            check(url)
            return client(url)

        exchange.fetch = guarded_fetch
        exchange.client = guarded_client

    async def close(self) -> None:
        """Close every client (websockets and HTTP sessions)."""
        for exchange in self.opened:
            with contextlib.suppress(Exception):
                await exchange.close()


def record(exchange: Any, method: str, outcome: Outcome) -> None:
    """Count the calls of ``exchange.<method>`` and how many returned data."""
    original = getattr(exchange, method)

    async def recorded(*args: Any, **kwargs: Any) -> Any:
        result = await original(*args, **kwargs)
        outcome.calls += 1
        outcome.non_empty += non_empty(result)
        return result

    setattr(exchange, method, recorded)


async def _run(
    clients: Clients,
    protocol: str,
    call: Callable[[Any], Awaitable[Any]],
    method: str | None,
    timeout_s: float,
) -> Outcome:
    outcome = Outcome()
    exchange = await clients.new(protocol)
    if method is not None and callable(getattr(exchange, method, None)):
        record(exchange, method, outcome)
    try:
        await asyncio.wait_for(call(exchange), timeout_s)
    except Exception as error:  # every failure is the test's outcome
        outcome.error, outcome.trace = error, traceback.format_exc()
    finally:
        with contextlib.suppress(Exception):
            await exchange.close()
    return outcome


async def run_test(clients: Clients, protocol: str, test: CcxtTest) -> Outcome:
    """Run one of ccxt's test functions as ccxt's runner does (an expected failure twice)."""
    function, arguments = test.function(), test.arguments()
    timeout = WS_TIMEOUT_S if test.suite == "ws" else REST_TIMEOUT_S
    method = snake(test.method)
    outcome = await _run(
        clients, protocol, lambda ex: function(ex, {}, *arguments), method, timeout
    )
    expected = expectation(protocol, test.method)
    if isinstance(expected, ExpectedFailure) and expected.confirm:
        skips = dict(expected.confirm)
        confirmed = await _run(
            clients, protocol, lambda ex: function(ex, skips, *arguments), method, timeout
        )
        outcome.confirm_error, outcome.confirm_trace = confirmed.error, confirmed.trace
        outcome.calls += confirmed.calls
        outcome.non_empty += confirmed.non_empty
    return outcome


async def run_ported_create_order(clients: Clients, protocol: str) -> Outcome:
    """The faithful async port of ccxt's ``test_create_order``."""
    skips = PORT_SKIPS[protocol]
    outcome = await _run(
        clients,
        protocol,
        lambda ex: create_order_port.test_create_order(ex, {}, SYMBOL),
        "create_order",
        REST_TIMEOUT_S,
    )
    if skips:
        confirmed = await _run(
            clients,
            protocol,
            lambda ex: create_order_port.test_create_order(ex, dict(skips), SYMBOL),
            "create_order",
            REST_TIMEOUT_S,
        )
        outcome.confirm_error, outcome.confirm_trace = confirmed.error, confirmed.trace
        outcome.calls += confirmed.calls
        outcome.non_empty += confirmed.non_empty
    return outcome


async def check_canceled_orders(exchange: Any) -> None:
    """ccxt ships no test for fetchCanceledOrders: its order checks over what it returns."""
    from ccxt.test.exchange.base import test_order, test_shared_methods

    orders = await exchange.fetch_canceled_orders(SYMBOL)
    assert isinstance(orders, list), f"fetchCanceledOrders must return a list: {orders!r}"
    now = exchange.milliseconds()
    for order in orders:
        test_order(exchange, {}, "fetchCanceledOrders", order, SYMBOL, now)
        assert order["status"] == "canceled", exchange.json(order)
    test_shared_methods.assert_timestamp_order(exchange, "fetchCanceledOrders", SYMBOL, orders)


async def seed(sim: SimulatorServer, clients: Clients, protocol: str) -> None:
    """Give the account the history a used account has (orders, trades, transfers)."""
    exchange = await clients.new(protocol)
    other = next(p for p in PROTOCOLS if p != protocol)
    ticker = await exchange.fetch_ticker(SYMBOL)
    far_below = float(exchange.price_to_precision(SYMBOL, ticker["bid"] * 0.8))
    await exchange.create_order(SYMBOL, "limit", "buy", 0.001, far_below)  # stays open
    cancelled = await exchange.create_order(SYMBOL, "limit", "buy", 0.001, far_below)
    await exchange.cancel_order(cancelled["id"], SYMBOL)
    await exchange.create_order(SYMBOL, "market", "buy", 0.002)
    await exchange.create_order(SYMBOL, "market", "sell", 0.001)
    await exchange.create_order("ETH/USDT", "market", "buy", 0.01)
    sim.control.credit_deposit(protocol, CODE, Decimal("0.05"), network="BTC")
    receiver = await clients.new(other)
    address = (await receiver.fetch_deposit_address(CODE, {"network": "BTC"}))["address"]
    arrived = await exchange.withdraw(CODE, 0.01, address, params={"network": "BTC"})
    sim.control.complete_withdrawal(arrived["id"])
    await exchange.withdraw(CODE, 0.01, address, params={"network": "BTC"})  # stays pending
    refunded = await exchange.withdraw(CODE, 0.01, address, params={"network": "BTC"})
    sim.control.fail_withdrawal(refunded["id"])


async def churn(clients: Clients, protocol: str, results: Results, stop: asyncio.Event) -> None:
    """Trade both markets a few times a second until ``stop`` (what a live market does)."""
    exchange = await clients.new(protocol)
    sizes = {"BTC/USDT": 0.0005, "ETH/USDT": 0.005}
    beat = 0
    results.churn_orders[protocol] = 0
    while not stop.is_set():
        beat += 1
        side = "buy" if beat % 2 else "sell"
        for symbol, amount in sizes.items():
            try:
                await exchange.create_order(symbol, "market", side, amount)
                results.churn_orders[protocol] += 1
            except Exception as error:  # reported by the harness's own check
                results.churn_errors.append(f"{protocol} {symbol}: {error!r}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), CHURN_PAUSE_S)


def runnable(protocol: str, test: CcxtTest) -> bool:
    """True unless the test is skipped or unsupported on this protocol."""
    return not isinstance(expectation(protocol, test.method), (Skip, Unsupported))


async def run_campaign() -> Results:
    """Seed both venues, run every runnable test of both protocols, return the outcomes."""
    results = Results()
    tests = discover()
    async with SimulatorServer(parse_config(CONFIG)) as sim:
        clients = Clients(sim, results)
        try:
            await asyncio.gather(*(seed(sim, clients, p) for p in PROTOCOLS))
            await _phase(clients, results, [t for t in tests if t.suite == "rest"], rest=True)
            stop = asyncio.Event()
            traders = [asyncio.create_task(churn(clients, p, results, stop)) for p in PROTOCOLS]
            try:
                await _phase(clients, results, [t for t in tests if t.suite == "ws"], rest=False)
            finally:
                stop.set()
                await asyncio.gather(*traders, return_exceptions=True)
        finally:
            await clients.close()
    return results


async def _phase(clients: Clients, results: Results, tests: list[CcxtTest], *, rest: bool) -> None:
    jobs: dict[tuple[str, str], Awaitable[Outcome]] = {}
    for protocol in PROTOCOLS:
        for test in tests:
            if runnable(protocol, test):
                jobs[(protocol, test.method)] = run_test(clients, protocol, test)
        if rest:
            jobs[(protocol, PORTED_CREATE_ORDER)] = run_ported_create_order(clients, protocol)
            jobs[(protocol, CANCELED_ORDERS)] = _run(
                clients, protocol, check_canceled_orders, "fetch_canceled_orders", REST_TIMEOUT_S
            )
    outcomes = await asyncio.gather(*jobs.values())
    results.outcomes.update(zip(jobs, outcomes, strict=True))
