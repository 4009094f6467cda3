"""Binance spot protocol front-end of the exchange simulator (what ccxt 4.5.90 speaks).

REST ``/api/v3`` and ``/sapi/v1`` signed with HMAC-SHA256 (``-1022`` on a bad signature,
``-1021`` outside ``recvWindow``), Binance error codes and statuses, market websockets under
``/stream`` and the WebSocket API user data stream under ``/ws-api/v3``.
"""

from rebalancer.exchange_sim.binance.frontend import BinanceFrontend
from rebalancer.exchange_sim.frontend import VenueContext


def create_frontend(context: VenueContext) -> BinanceFrontend:
    """The protocol registry's factory: a Binance front-end for one venue."""
    return BinanceFrontend(context)


__all__ = ["BinanceFrontend", "create_frontend"]
