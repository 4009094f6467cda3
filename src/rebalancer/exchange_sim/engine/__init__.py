"""The exchange engine: pure, in-process venues that protocol front-ends put on the wire.

No I/O and no asyncio here; time comes from an injected clock (``ManualClock`` in tests,
``time.time`` in the server). The API a protocol front-end (Binance, OKX) uses:

Set-up (done by ``exchange_sim.config`` from the TOML file)::

    engine = Engine(clock)
    venue = engine.add_venue("okx", markets, BookShape())      # markets: domain.Market list
    engine.add_network("okx", Network("USDT", "TRC20", fee=Decimal("1"), min_amount=Decimal("10"),
                                      delay_s=30))
    engine.add_account("okx", Account("key", "secret", passphrase="pass"))
    engine.set_price_path(RandomWalkPath({"BTC/USDT": Decimal("60000")}, seed=7))

Authentication: ``venue.accounts[api_key]`` gives the ``Account`` (``secret``, ``passphrase``);
``venue.account(key)`` raises ``Rejected(UNKNOWN_ACCOUNT)``.

Market data (symbols are unified "BASE/QUOTE"; map them to your venue's ids yourself)::

    venue.markets[symbol]          # domain.Market: price_tick, amount_step, min_amount, ...
    venue.books[symbol]            # Book: .mid, .best_bid/.best_ask (Level price/quantity),
                                   #       .depth(limit) -> (bids, asks), .version
    venue.tickers[symbol]          # TickerStats: open, high, low, last, volume, quote_volume
    venue.candles[symbol].bars(Timeframe.of_minutes(60), now_ms=..., start_ms=None,
                               end_ms=None, limit=100)        # OHLCV Bars from quotes and fills
    venue.market_trades(symbol)    # every Trade on the market; taker_side(trade) is its side

Trading (each raises ``Rejected`` with a neutral ``RejectReason`` for you to map to codes)::

    order = venue.place_order(key, "BTC/USDT", OrderSide.BUY, OrderKind.LIMIT,
                              amount=Decimal("0.01"), price=Decimal("60000"),
                              time_in_force=TimeInForce.GTC, client_order_id="abc")
    order = venue.place_order(key, "BTC/USDT", OrderSide.BUY, OrderKind.MARKET,
                              quote_amount=Decimal("100"))           # market buy sized in quote
    venue.cancel_order(key, order_id=order.id)  # or client_order_id=...; ORDER_NOT_OPEN if done
    venue.find_order(key, order_id=..., client_order_id=...)         # ORDER_NOT_FOUND
    venue.open_orders(key, symbol=None); venue.account_trades(key, symbol=None)
    venue.accounts[key].balances               # asset -> Balance(free, locked)
    venue.account_ledger(key)      # LedgerEntry per balance change (fills, transfers), oldest first

``Order`` fields: id (int), client_order_id, side, kind, time_in_force, amount, price, filled,
cost (quote), state (OrderState: new / partially_filled / filled / canceled / expired),
trades (``Trade``: id, price, amount, cost, fee, fee_asset, maker, time_ms), created_ms,
updated_ms. Fees are charged in the asset received (base on buys, quote on sells).
Client order ids are unique per account for good: reusing one is ``DUPLICATE_CLIENT_ORDER_ID``.

Funding::

    network, address = engine.deposit_address(venue_name, key, "USDT", network=None)
    w = engine.withdraw(venue_name, key, "USDT", Decimal("100"), address, network="TRC20")
    engine.account_withdrawals(venue_name, key); engine.account_deposits(venue_name, key)
    engine.networks[venue_name]    # (asset, network) -> Network(fee, min_amount, delay_s, ...)

Events: ``unsubscribe = engine.subscribe(listener)``; the listener is called synchronously with
``OrderUpdated`` (execution NEW/TRADE/CANCELED/EXPIRED), ``BalancesChanged`` (asset →
(free, locked)), ``BalanceAdjusted`` (deposit/withdrawal delta) and ``PricesMoved``. Filter on
``event.venue``; do not call back into the engine from a listener.

Control (tests and the control plane): ``engine.set_price(venue, symbol, mid)`` pins a price,
``engine.advance()`` moves prices to the clock and completes due withdrawals,
``engine.complete_withdrawal(id)`` / ``fail_withdrawal(id)``, ``engine.credit_deposit(...)``,
``engine.order_log()``, ``engine.withdrawals`` / ``engine.deposits``.
"""

from rebalancer.exchange_sim.engine.account import Account, Balance
from rebalancer.exchange_sim.engine.book import Book, BookShape, Level
from rebalancer.exchange_sim.engine.candles import Bar, CandleHistory, Timeframe
from rebalancer.exchange_sim.engine.clock import Clock, ManualClock
from rebalancer.exchange_sim.engine.engine import Engine
from rebalancer.exchange_sim.engine.errors import Rejected, RejectReason, SimulatorError
from rebalancer.exchange_sim.engine.events import (
    BalanceAdjusted,
    BalancesChanged,
    Event,
    Listener,
    OrderUpdated,
    PricesMoved,
)
from rebalancer.exchange_sim.engine.orders import (
    Execution,
    Order,
    OrderKind,
    OrderState,
    TimeInForce,
    Trade,
)
from rebalancer.exchange_sim.engine.prices import (
    PricePath,
    RandomWalkPath,
    ReplayPath,
    ScriptedPath,
)
from rebalancer.exchange_sim.engine.rules import markets_from_exchange_info
from rebalancer.exchange_sim.engine.tickers import TickerStats
from rebalancer.exchange_sim.engine.transfers import (
    Deposit,
    Network,
    TransferState,
    Withdrawal,
)
from rebalancer.exchange_sim.engine.venue import Venue, taker_side

__all__ = [
    "Account",
    "Balance",
    "BalanceAdjusted",
    "BalancesChanged",
    "Bar",
    "Book",
    "BookShape",
    "CandleHistory",
    "Clock",
    "Deposit",
    "Engine",
    "Event",
    "Execution",
    "Level",
    "Listener",
    "ManualClock",
    "Network",
    "Order",
    "OrderKind",
    "OrderState",
    "OrderUpdated",
    "PricePath",
    "PricesMoved",
    "RandomWalkPath",
    "RejectReason",
    "Rejected",
    "ReplayPath",
    "ScriptedPath",
    "SimulatorError",
    "TickerStats",
    "TimeInForce",
    "Timeframe",
    "Trade",
    "TransferState",
    "Venue",
    "Withdrawal",
    "markets_from_exchange_info",
    "taker_side",
]
