"""OKX v5 spot protocol front-end of the exchange simulator.

Speaks enough of OKX's REST API (``/api/v5/...``) and websockets (``/ws/v5/public`` and
``/ws/v5/private``) for unmodified ``ccxt.okx`` / ``ccxt.pro.okx`` to load markets, trade, read
balances and orders, move funds and stream tickers, books, balances and orders, with OKX's
signature checks and error codes. The engine underneath is protocol-neutral.
"""

from rebalancer.exchange_sim.okx.frontend import OkxFrontend, create_frontend

__all__ = ["OkxFrontend", "create_frontend"]
