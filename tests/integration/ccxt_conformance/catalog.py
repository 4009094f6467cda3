"""Which of ccxt's own tests run against the simulator, and what each is expected to do.

ccxt ships its test functions in the installed package: ``ccxt/test/exchange/async/test_*.py``
test the REST methods and ``ccxt/pro/test/Exchange/test_*.py`` the websocket methods; both
validate what they get with the structure checks of ``ccxt/test/exchange/base``. Every one of
those files is listed here for both protocols, and every one has exactly one fate:

- it runs and must pass;
- ``Unsupported``: ccxt itself declares the method unsupported for the exchange
  (``exchange.has[method]`` is False or None), which is when ccxt's own runner skips it too;
  the harness checks that ccxt still says so;
- ``Skip``: it is not about what the simulator serves (derivatives and margin, tests that would
  leave 127.0.0.1, a test with an empty body), with the reason;
- ``ExpectedFailure``: it fails against the real exchange as well, for the reason given. The
  failure must match ``match``; when ``confirm`` names ccxt skip properties (the mechanism of
  ccxt's own skip list), the test is run again with them and must then pass, which shows that
  nothing else is wrong.

Nothing is skipped silently: a test file this table does not know fails the harness.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ccxt

PROTOCOLS = ("binance", "okx")
CCXT_ROOT = Path(ccxt.__file__).parent
SUITES = {
    "rest": (CCXT_ROOT / "test" / "exchange" / "async", "ccxt.test.exchange.async"),
    "ws": (CCXT_ROOT / "pro" / "test" / "Exchange", "ccxt.pro.test.Exchange"),
}
# arguments as ccxt's runner passes them (tests_async.py: primary symbol, all symbols, the
# first of BTC/ETH/... the exchange lists as the currency code)
SYMBOL = "BTC/USDT"
SYMBOLS = ["BTC/USDT", "ETH/USDT"]
CODE = "BTC"
ARGUMENTS: dict[str, Any] = {"symbol": SYMBOL, "symbols": SYMBOLS, "code": CODE}

CcxtTestFunction = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class CcxtTest:
    """One of ccxt's test files: the method it tests and how to call it."""

    suite: str  # "rest" or "ws"
    stem: str  # "fetch_ohlcv"
    method: str  # ccxt's camelCase name: "fetchOHLCV"

    @property
    def module(self) -> str:
        """The import path of the test file."""
        return f"{SUITES[self.suite][1]}.test_{self.stem}"

    def function(self) -> CcxtTestFunction:
        """ccxt's test function, imported from the installed package."""
        module = importlib.import_module(self.module)
        function: CcxtTestFunction = getattr(module, f"test_{self.stem}")
        return function

    def arguments(self) -> list[Any]:
        """The arguments after ``(exchange, skipped_properties)``, as ccxt's runner gives them."""
        names = list(inspect.signature(self.function()).parameters)[2:]
        return [ARGUMENTS[name] for name in names]


@dataclass(frozen=True)
class Unsupported:
    """ccxt declares ``has[method]`` False or None for this exchange; its runner skips it."""

    reason: str = "ccxt declares the method unsupported for this exchange"


@dataclass(frozen=True)
class Skip:
    """Not run, for the reason given."""

    reason: str


@dataclass(frozen=True)
class ExpectedFailure:
    """Fails against the real exchange too; ``match`` is a regex the failure must match."""

    reason: str
    match: str
    confirm: dict[str, bool] = field(default_factory=dict)


Expectation = Unsupported | Skip | ExpectedFailure


def camel(stem: str) -> str:
    """``fetch_ohlcv`` -> ``fetchOHLCV``, ``fetch_l2_order_book`` -> ``fetchL2OrderBook``."""
    head, *rest = stem.split("_")
    return head + "".join(part.upper() if part == "ohlcv" else part.capitalize() for part in rest)


def discover() -> list[CcxtTest]:
    """Every test file ccxt installed, REST then websockets, by name."""
    found = []
    for suite, (directory, _) in SUITES.items():
        for path in sorted(directory.glob("test_*.py")):
            stem = path.stem.removeprefix("test_")
            found.append(CcxtTest(suite, stem, camel(stem)))
    return found


BOTH = "*"
SPOT_ONLY = "the simulator serves spot markets only (no futures, swaps, options or margin)"
SWAPS_LOADED = (
    "ccxt declares swap/future/option markets for the exchange, but the connection loads only "
    "spot markets (options.fetchMarkets.types = ['spot'], as the daemon loads them): against "
    "the real exchange with the same options the test fails the same way"
)
NO_UPDATED_BINANCE = (
    "ccxt reads 'updated' from successTime/updateTime, which only Binance's fiat records carry; "
    "crypto deposit and withdrawal histories have neither, and a deposit carries no fee"
)
NO_UPDATED_OKX = "ccxt's okx parse_transaction always sets 'updated' to None"
NAME_ERROR = (
    "ccxt 4.5.90's Python transpile of this test uses time.time() without importing time: "
    "it raises NameError against every exchange"
)

# (protocol or "*", method) -> expectation. Every other test must pass.
EXPECTATIONS: dict[tuple[str, str], Expectation] = {
    # --- both protocols ---------------------------------------------------------------------
    (BOTH, "proxies"): Skip(
        "tests ccxt's own proxy settings through proxy servers on the internet, not the "
        "exchange's API; tests never leave 127.0.0.1"
    ),
    (BOTH, "unWatchPositions"): Skip(
        "switches ccxt to the exchange's sandbox on the internet and trades perpetual swaps; "
        + SPOT_ONLY
    ),
    (BOTH, "fetchTransactionFees"): Skip(
        "ccxt's test body is empty in 4.5.90 (it returns None without calling the method)"
    ),
    (BOTH, "fetchFundingRateHistory"): Skip(SPOT_ONLY + "; ccxt's runner calls it for swaps only"),
    (BOTH, "fetchOpenInterestHistory"): Skip(SPOT_ONLY + "; ccxt's runner calls it for swaps only"),
    (BOTH, "fetchPositions"): Skip(SPOT_ONLY + "; ccxt's runner calls it for contracts only"),
    (BOTH, "watchPositions"): Skip(
        SPOT_ONLY + "; against a spot venue ccxt's test treats the refused connection as a "
        "temporary failure and passes without checking anything"
    ),
    (BOTH, "fetchBorrowInterest"): Skip(SPOT_ONLY + " (interest on margin borrowing)"),
    (BOTH, "signIn"): Unsupported(),
    (BOTH, "fetchDepositWithdrawals"): Unsupported(),
    (BOTH, "fetchOrderBooks"): Unsupported(),
    (BOTH, "watchPosition"): Unsupported(),
    (BOTH, "createOrder"): ExpectedFailure(
        "ccxt 4.5.90's Python transpile of test_create_order cannot run under asyncio: helpers "
        "call coroutines without await, log lines add floats to strings, time and math are "
        "not imported; it fails against every exchange. The faithful port "
        "(create_order_port.py) runs instead",
        r"can only concatenate str|coroutine|not defined",
    ),
    (BOTH, "fetchMarkets"): ExpectedFailure(
        "ccxt's test asserts that fetch_markets returns a dict, but it returns a list in "
        "4.5.90: it fails against every exchange (load_markets' test validates every market)",
        r"fetchMarkets must return a dict",
    ),
    (BOTH, "loadMarkets"): ExpectedFailure(
        SWAPS_LOADED + ". Every loaded market passes ccxt's market checks before this one",
        r"exchange\.has\[swap\] is true, but no markets of type swap",
    ),
    (BOTH, "watchLiquidations"): ExpectedFailure(NAME_ERROR, r"name 'time' is not defined"),
    (BOTH, "watchLiquidationsForSymbols"): ExpectedFailure(
        NAME_ERROR, r"name 'time' is not defined"
    ),
    # --- Binance ------------------------------------------------------------------------------
    ("binance", "fetchAccounts"): Unsupported(),
    ("binance", "fetchLiquidations"): Unsupported(),
    ("binance", "fetchTransfers"): Skip(
        "lists transfers between Binance's spot and futures wallets (type MAIN_UMFUTURE); "
        + SPOT_ONLY
    ),
    ("binance", "fetchLeverageTiers"): Skip(SPOT_ONLY + " (ccxt reads futures leverage brackets)"),
    ("binance", "fetchOrderBook"): ExpectedFailure(
        "Binance's spot GET /api/v3/depth carries no time (only lastUpdateId); ccxt reads 'T', "
        "which only futures depth has, so the book's timestamp is None against Binance too",
        r'"timestamp" key is expected to have a value',
        {"timestamp": True, "datetime": True},
    ),
    ("binance", "fetchL2OrderBook"): ExpectedFailure(
        "as fetchOrderBook: Binance's spot depth carries no time",
        r'"timestamp" key is expected to have a value',
        {"timestamp": True, "datetime": True},
    ),
    ("binance", "fetchDeposits"): ExpectedFailure(
        NO_UPDATED_BINANCE,
        r'"updated" key is expected to have a value',
        {"updated": True, "fee": True},
    ),
    ("binance", "fetchWithdrawals"): ExpectedFailure(
        NO_UPDATED_BINANCE,
        r'"updated" key is expected to have a value',
        {"updated": True},
    ),
    ("binance", "fetchLedger"): ExpectedFailure(
        "ccxt's binance reads the ledger of futures wallets only and refuses a spot account "
        "before sending anything",
        r"NotSupported|supports contract wallets only",
    ),
    ("binance", "fetchLedgerEntry"): ExpectedFailure(
        "as fetchLedger: ccxt's binance has no spot ledger",
        r"NotSupported|supports contract wallets only",
    ),
    ("binance", "fetchMarginMode"): ExpectedFailure(
        "ccxt's binance reads margin modes of futures only and refuses spot symbols",
        r"supports linear and inverse subTypes only",
    ),
    ("binance", "fetchMarginModes"): ExpectedFailure(
        "ccxt's binance reads margin modes of futures only and refuses spot symbols",
        r"supports linear and inverse subTypes only",
    ),
    ("binance", "fetchMarketLeverageTiers"): ExpectedFailure(
        "ccxt's binance has leverage tiers for contract markets only",
        r"supports contract markets only",
    ),
    ("binance", "fetchMyLiquidations"): ExpectedFailure(
        "ccxt's test passes a currency code where ccxt's binance expects a market symbol "
        "(ccxt's runner never calls it)",
        r"does not have market symbol BTC",
    ),
    # --- OKX ----------------------------------------------------------------------------------
    ("okx", "fetchLastPrices"): Unsupported(),
    ("okx", "fetchLedgerEntry"): Unsupported(),
    ("okx", "fetchLeverageTiers"): Unsupported(),
    ("okx", "fetchLiquidations"): Unsupported(),
    ("okx", "fetchMyLiquidations"): Unsupported(),
    ("okx", "fetchMarginMode"): Unsupported(),
    ("okx", "fetchMarginModes"): Unsupported(),
    ("okx", "fetchOrders"): Unsupported(),
    ("okx", "fetchTradingFees"): Unsupported(),
    ("okx", "fetchMarketLeverageTiers"): Skip(SPOT_ONLY + " (leverage tiers of margin and swaps)"),
    ("okx", "fetchDeposits"): ExpectedFailure(
        NO_UPDATED_OKX, r'"updated" key is expected to have a value', {"updated": True}
    ),
    ("okx", "fetchWithdrawals"): ExpectedFailure(
        NO_UPDATED_OKX, r'"updated" key is expected to have a value', {"updated": True}
    ),
    ("okx", "fetchLedger"): ExpectedFailure(
        "ccxt's okx parse_ledger_entry sets 'account' to None, and passes OKX's signed balChg "
        "through as the amount (negative for money out), which ccxt's test refuses",
        r'"account" key is expected to have a value',
        {"account": True, "amount": True},
    ),
    ("okx", "fetchTransfers"): ExpectedFailure(
        "ccxt's okx reads transfers from the account's bills and takes their status from a "
        "'state' field that bills do not have, so every transfer's status is None",
        r'"status" key is expected to have a value',
        {"status": True},
    ),
}


def expectation(protocol: str, method: str) -> Expectation | None:
    """The expectation of one test on one protocol, or None when it must pass."""
    return EXPECTATIONS.get((protocol, method)) or EXPECTATIONS.get((BOTH, method))


def failure_matches(expected: ExpectedFailure, error: BaseException) -> bool:
    """True when ``error`` is the failure the entry describes."""
    text = f"{type(error).__name__}: {error}"
    return re.search(expected.match, text) is not None
