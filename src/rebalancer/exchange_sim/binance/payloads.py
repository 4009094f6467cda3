"""Binance JSON shapes of the engine's markets, orders, trades and balances.

Numbers go out as strings with eight decimals, as Binance sends them. Symbols go out as ids
("BTCUSDT"); networks as Binance's network ids ("TRX" for the unified "TRC20").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rebalancer.domain.market import Market, OrderSide
from rebalancer.exchange_sim.engine import (
    Execution,
    Order,
    OrderKind,
    OrderState,
    TickerStats,
    Trade,
    Venue,
)

EIGHT = Decimal("0.00000001")
DAY_MS = 86_400_000

# unified network code (the engine's) -> Binance network id, as ccxt's options.networks maps them
NETWORK_IDS = {"TRC20": "TRX", "ERC20": "ETH", "BEP20": "BSC", "BEP2": "BNB", "OMNI": "OMNI"}
NETWORK_CODES = {v: k for k, v in NETWORK_IDS.items()}

STATUS = {
    OrderState.NEW: "NEW",
    OrderState.PARTIALLY_FILLED: "PARTIALLY_FILLED",
    OrderState.FILLED: "FILLED",
    OrderState.CANCELED: "CANCELED",
    OrderState.EXPIRED: "EXPIRED",
}


def fmt(value: Decimal) -> str:
    """A decimal as Binance prints it: fixed point, eight decimals."""
    return format(value.quantize(EIGHT), "f")


def symbol_id(symbol: str) -> str:
    """ "BTC/USDT" -> "BTCUSDT"."""
    return symbol.replace("/", "")


def network_id(network: str) -> str:
    """The Binance id of a unified network code."""
    return NETWORK_IDS.get(network, network)


def network_code(binance_id: str) -> str:
    """The unified code of a Binance network id."""
    return NETWORK_CODES.get(binance_id, binance_id)


def symbol_entry(market: Market) -> dict[str, Any]:
    """One ``exchangeInfo.symbols[]`` entry with the filters ccxt reads."""
    max_qty = market.max_amount if market.max_amount is not None else Decimal("9000")
    return {
        "symbol": symbol_id(market.symbol),
        "status": "TRADING",
        "baseAsset": market.base,
        "baseAssetPrecision": 8,
        "quoteAsset": market.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"],
        "icebergAllowed": False,
        "ocoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": fmt(market.price_tick),
                "maxPrice": "1000000.00000000",
                "tickSize": fmt(market.price_tick),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": fmt(market.min_amount),
                "maxQty": fmt(max_qty),
                "stepSize": fmt(market.amount_step),
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": "0.00000000",
                "maxQty": fmt(max_qty),
                "stepSize": "0.00000000",
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": fmt(market.min_notional),
                "applyMinToMarket": True,
                "maxNotional": "9000000.00000000",
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


def ticker_24hr(venue: Venue, symbol: str, now_ms: int) -> dict[str, Any]:
    """``GET /api/v3/ticker/24hr`` for one symbol (``bidQty`` marks it as spot for ccxt)."""
    stats = venue.tickers[symbol]
    book = venue.books[symbol]
    bid, ask = book.best_bid, book.best_ask
    change = stats.last - stats.open
    percent = change / stats.open * 100 if stats.open else Decimal(0)
    return {
        "symbol": symbol_id(symbol),
        "priceChange": fmt(change),
        "priceChangePercent": format(percent.quantize(Decimal("0.001")), "f"),
        "weightedAvgPrice": fmt(_vwap(stats)),
        "prevClosePrice": fmt(stats.open),
        "lastPrice": fmt(stats.last),
        "lastQty": "0.00000000",
        "bidPrice": fmt(bid.price if bid else Decimal(0)),
        "bidQty": fmt(bid.quantity if bid else Decimal(0)),
        "askPrice": fmt(ask.price if ask else Decimal(0)),
        "askQty": fmt(ask.quantity if ask else Decimal(0)),
        "openPrice": fmt(stats.open),
        "highPrice": fmt(stats.high),
        "lowPrice": fmt(stats.low),
        "volume": fmt(stats.volume),
        "quoteVolume": fmt(stats.quote_volume),
        "openTime": now_ms - DAY_MS,
        "closeTime": now_ms,
        "firstId": 1 if stats.trade_count else -1,
        "lastId": stats.trade_count if stats.trade_count else -1,
        "count": stats.trade_count,
    }


def _vwap(stats: TickerStats) -> Decimal:
    return stats.quote_volume / stats.volume if stats.volume else stats.last


def order_payload(order: Order) -> dict[str, Any]:
    """An order as ``GET /api/v3/order`` and ``openOrders`` return it."""
    return {
        "symbol": symbol_id(order.symbol),
        "orderId": order.id,
        "orderListId": -1,
        "clientOrderId": order.client_order_id,
        "price": fmt(order.price or Decimal(0)),
        "origQty": fmt(order.amount),
        "executedQty": fmt(order.filled),
        "cummulativeQuoteQty": fmt(order.cost),
        "status": STATUS[order.state],
        "timeInForce": _time_in_force(order),
        "type": "LIMIT" if order.kind is OrderKind.LIMIT else "MARKET",
        "side": "BUY" if order.side is OrderSide.BUY else "SELL",
        "stopPrice": "0.00000000",
        "icebergQty": "0.00000000",
        "time": order.created_ms,
        "updateTime": order.updated_ms,
        "isWorking": order.state.is_open,
        "workingTime": order.created_ms,
        "origQuoteOrderQty": fmt(order.quote_amount or Decimal(0)),
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }


def new_order_payload(order: Order) -> dict[str, Any]:
    """``POST /api/v3/order`` with ``newOrderRespType=FULL``: the order plus its fills."""
    body = order_payload(order)
    for key in ("stopPrice", "icebergQty", "time", "updateTime", "isWorking"):
        body.pop(key)
    body["transactTime"] = order.updated_ms
    body["fills"] = [
        {
            "price": fmt(t.price),
            "qty": fmt(t.amount),
            "commission": fmt(t.fee),
            "commissionAsset": t.fee_asset,
            "tradeId": t.id,
        }
        for t in order.trades
    ]
    return body


def _time_in_force(order: Order) -> str:
    """Binance reports GTC on market orders (the engine expires their rest, like IOC)."""
    return "GTC" if order.kind is OrderKind.MARKET else order.time_in_force.value


def trade_payload(trade: Trade) -> dict[str, Any]:
    """One ``GET /api/v3/myTrades`` entry."""
    return {
        "symbol": symbol_id(trade.symbol),
        "id": trade.id,
        "orderId": trade.order_id,
        "orderListId": -1,
        "price": fmt(trade.price),
        "qty": fmt(trade.amount),
        "quoteQty": fmt(trade.cost),
        "commission": fmt(trade.fee),
        "commissionAsset": trade.fee_asset,
        "time": trade.time_ms,
        "isBuyer": trade.side is OrderSide.BUY,
        "isMaker": trade.maker,
        "isBestMatch": True,
    }


def execution_report(
    order: Order, execution: Execution, trade: Trade | None, now_ms: int
) -> dict[str, Any]:
    """The ``executionReport`` user-data event for one order update."""
    return {
        "e": "executionReport",
        "E": now_ms,
        "s": symbol_id(order.symbol),
        "c": order.client_order_id,
        "S": "BUY" if order.side is OrderSide.BUY else "SELL",
        "o": "LIMIT" if order.kind is OrderKind.LIMIT else "MARKET",
        "f": _time_in_force(order),
        "q": fmt(order.amount),
        "p": fmt(order.price or Decimal(0)),
        "P": "0.00000000",
        "F": "0.00000000",
        "g": -1,
        "C": order.client_order_id if execution is Execution.CANCELED else "",
        "x": execution.value,
        "X": STATUS[order.state],
        "r": "NONE",
        "i": order.id,
        "l": fmt(trade.amount if trade else Decimal(0)),
        "z": fmt(order.filled),
        "L": fmt(trade.price if trade else Decimal(0)),
        "n": fmt(trade.fee) if trade else "0",
        "N": trade.fee_asset if trade else None,
        "T": trade.time_ms if trade else order.updated_ms,
        "t": trade.id if trade else -1,
        "I": order.id,
        "w": order.state.is_open,
        "m": bool(trade and trade.maker),
        "M": False,
        "O": order.created_ms,
        "Z": fmt(order.cost),
        "Y": fmt(trade.cost if trade else Decimal(0)),
        "Q": fmt(order.quote_amount or Decimal(0)),
        "W": order.created_ms,
        "V": "EXPIRE_MAKER",
    }
