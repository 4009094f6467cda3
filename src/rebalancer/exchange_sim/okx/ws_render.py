"""Turn queued websocket items into OKX frames for one session.

Public channels: ``tickers``, ``bbo-tbt``, ``books5`` (full top-5 each time), ``books``
(snapshot then sequenced updates) and ``trades`` (each fill, with its taker's side). Business
channels: ``candle<bar>`` (the bar in progress, whenever prices move or it trades). Private
channels: ``account`` (balances that changed) and ``orders`` (one order report per change,
with the fill when it traded).
"""

from __future__ import annotations

from rebalancer.exchange_sim.engine.events import BalancesChanged, OrderUpdated, PricesMoved
from rebalancer.exchange_sim.okx import payloads
from rebalancer.exchange_sim.okx.context import OkxContext
from rebalancer.exchange_sim.okx.errors import OkxRejection
from rebalancer.exchange_sim.okx.payloads import Json
from rebalancer.exchange_sim.okx.rest_history import bar_timeframe, candle_row, public_trade
from rebalancer.exchange_sim.okx.wire import inst_id, symbol_of
from rebalancer.exchange_sim.okx.ws_books import BOOKS_DEPTH, BookFeed
from rebalancer.exchange_sim.okx.ws_session import InitialPush, Outbound, Session, Subscription

PUBLIC_CHANNELS = frozenset({"tickers", "bbo-tbt", "books5", "books", "trades"})
PRIVATE_CHANNELS = frozenset({"account", "orders"})
REPEATED_CHANNELS = frozenset({"tickers", "bbo-tbt", "books5"})
_DEPTH = {"bbo-tbt": 1, "books5": 5}
_PRICE_CHANNELS = PUBLIC_CHANNELS - {"trades"}


def is_candle(channel: str) -> bool:
    """True for a candle channel OKX serves (``candle1m``, ``candle1Dutc`` ...)."""
    if not channel.startswith("candle"):
        return False
    try:
        bar_timeframe(channel.removeprefix("candle"))
    except OkxRejection:
        return False
    return True


def repeats(channel: str) -> bool:
    """True for channels re-sent at least once a second even when nothing changed."""
    return channel in REPEATED_CHANNELS or is_candle(channel)


def render(ctx: OkxContext, session: Session, item: Outbound) -> list[Json | str]:
    """The frames ``item`` becomes for this session (none if it does not concern it)."""
    if isinstance(item, (dict, str)):
        return [item]
    if isinstance(item, InitialPush):
        return _initial(ctx, session, item.subscription)
    if isinstance(item, PricesMoved):
        return _prices(ctx, session, item.symbols)
    if isinstance(item, OrderUpdated):
        return _order(ctx, session, item) if session.private else _trades(ctx, session, item)
    if isinstance(item, BalancesChanged):
        return _balances(session, item)
    return []


def _initial(ctx: OkxContext, session: Session, sub: Subscription) -> list[Json | str]:
    if sub.channel == "trades":
        return []  # OKX pushes trades as they happen, with no snapshot
    if sub.channel in PUBLIC_CHANNELS or is_candle(sub.channel):
        return [f for f in (_market_push(ctx, session, sub),) if f is not None]
    if sub.channel == "account" and session.account is not None:
        held = ctx.venue.account(session.account).balances
        balances = {a: (b.free, b.locked) for a, b in held.items() if sub.ccy in ("", a)}
        return [{"arg": sub.as_arg(), "data": [payloads.balance(balances, ctx.now_ms())]}]
    return []


def _prices(ctx: OkxContext, session: Session, symbols: tuple[str, ...]) -> list[Json | str]:
    moved = {inst_id(s) for s in symbols}
    frames: list[Json | str] = []
    for sub in sorted(session.subscriptions, key=lambda s: (s.channel, s.inst_id)):
        price_channel = sub.channel in _PRICE_CHANNELS or is_candle(sub.channel)
        if price_channel and sub.inst_id in moved:
            frame = _market_push(ctx, session, sub)
            if frame is not None:
                frames.append(frame)
    return frames


def _market_push(ctx: OkxContext, session: Session, sub: Subscription) -> Json | None:
    symbol = symbol_of(sub.inst_id)
    now = ctx.now_ms()
    if is_candle(sub.channel):
        return _candle_push(ctx, sub, symbol, now)
    if sub.channel == "tickers":
        bids, asks = ctx.top(symbol, 1)
        stats = ctx.venue.tickers[symbol]
        return {"arg": sub.as_arg(), "data": [payloads.ticker(symbol, stats, bids, asks, now)]}
    if sub.channel == "books":
        bids, asks = ctx.top(symbol, BOOKS_DEPTH)
        feed = session.books.setdefault(sub.inst_id, BookFeed())
        push = feed.next_push(bids, asks, now)
        if push is None:
            return None
        action, data = push
        return {"arg": sub.as_arg(), "action": action, "data": [data]}
    bids, asks = ctx.top(symbol, _DEPTH[sub.channel])
    data = payloads.book(bids, asks, now)
    data["instId"] = sub.inst_id
    data["seqId"] = ctx.venue.books[symbol].version
    return {"arg": sub.as_arg(), "data": [data]}


def _candle_push(ctx: OkxContext, sub: Subscription, symbol: str, now: int) -> Json | None:
    timeframe = bar_timeframe(sub.channel.removeprefix("candle"))
    bars = ctx.venue.candles[symbol].bars(timeframe, now_ms=now, limit=1)
    if not bars:
        return None
    return {"arg": sub.as_arg(), "data": [candle_row(bars[0], closed=False)]}


def _trades(ctx: OkxContext, session: Session, event: OrderUpdated) -> list[Json | str]:
    """A fill on this venue as a ``trades`` push to every session subscribed to its market."""
    trade = event.trade
    if trade is None:
        return []
    market = inst_id(trade.symbol)
    frames: list[Json | str] = [
        {"arg": sub.as_arg(), "data": [public_trade(trade)]}
        for sub in session.subscribed("trades")
        if sub.inst_id == market
    ]
    for sub in session.subscriptions:
        if is_candle(sub.channel) and sub.inst_id == market:
            frame = _candle_push(ctx, sub, trade.symbol, ctx.now_ms())
            if frame is not None:
                frames.append(frame)
    return frames


def _order(ctx: OkxContext, session: Session, event: OrderUpdated) -> list[Json | str]:
    if session.account != event.account:
        return []
    order_inst = inst_id(event.order.symbol)
    frames: list[Json | str] = []
    for sub in session.subscribed("orders"):
        if sub.inst_type not in ("", "ANY", "SPOT") or sub.inst_id not in ("", order_inst):
            continue
        report = payloads.order(event.order, ctx.meta(event.order), event.trade, last_fill=False)
        frames.append({"arg": sub.as_arg(), "data": [report]})
    return frames


def _balances(session: Session, event: BalancesChanged) -> list[Json | str]:
    if session.account != event.account:
        return []
    frames: list[Json | str] = []
    for sub in session.subscribed("account"):
        changed = {a: v for a, v in event.balances.items() if sub.ccy in ("", a)}
        if changed:
            data = payloads.balance(changed, event.time_ms)
            frames.append({"arg": sub.as_arg(), "data": [data]})
    return frames
