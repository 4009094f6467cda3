"""Binance request signing as the exchange checks it.

A signed request carries ``X-MBX-APIKEY`` and ends its query (GET, DELETE) or form body (POST)
with ``&signature=<hex HMAC-SHA256(secret, everything before it)>``. The HMAC is checked over
the raw bytes received, because ccxt rawencodes some bodies (``capital/withdraw/apply``).
``timestamp`` must lie within ``recvWindow`` ms of the server's wall clock.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.parse
from collections.abc import Mapping

from aiohttp import web

from rebalancer.exchange_sim.binance.codes import (
    BAD_KEY,
    BAD_SIGNATURE,
    BAD_TIMESTAMP,
    BinanceError,
)
from rebalancer.exchange_sim.engine import Account, Venue

DEFAULT_RECV_WINDOW_MS = 5000
MAX_RECV_WINDOW_MS = 60000
FUTURE_TOLERANCE_MS = 1000


def hmac_hex(secret: str, payload: str) -> str:
    """Hex HMAC-SHA256 of ``payload`` keyed by ``secret``."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


async def signed_params(request: web.Request, venue: Venue) -> tuple[Account, dict[str, str]]:
    """Verify a signed REST request; return its account and parameters (without signature)."""
    account = venue.accounts.get(request.headers.get("X-MBX-APIKEY", ""))
    if account is None:
        raise BinanceError(BAD_KEY)
    raw = request.rel_url.raw_query_string
    if request.method in ("POST", "PUT"):
        body = await request.text()
        if body:
            raw = f"{raw}&{body}" if raw else body
    payload, marker, signature = raw.rpartition("&signature=")
    if not marker or not hmac.compare_digest(hmac_hex(account.secret, payload), signature):
        raise BinanceError(BAD_SIGNATURE)
    params = dict(urllib.parse.parse_qsl(payload, keep_blank_values=True))
    check_timestamp(params)
    return account, params


def check_timestamp(params: Mapping[str, object]) -> None:
    """Refuse a request whose ``timestamp`` is outside ``recvWindow`` (-1021)."""
    try:
        stamp = int(str(params.get("timestamp", "")))
        window = int(str(params.get("recvWindow", DEFAULT_RECV_WINDOW_MS)))
    except ValueError:
        raise BinanceError(BAD_TIMESTAMP) from None
    now = int(time.time() * 1000)
    if window > MAX_RECV_WINDOW_MS or stamp > now + FUTURE_TOLERANCE_MS or now - stamp > window:
        raise BinanceError(BAD_TIMESTAMP)


def ws_signature_ok(secret: str, params: Mapping[str, object]) -> bool:
    """Check a WebSocket-API signature: HMAC over the key-sorted ``k=v&...`` of the params."""
    signed = {k: v for k, v in params.items() if k != "signature"}
    payload = "&".join(f"{key}={signed[key]}" for key in sorted(signed))
    return hmac.compare_digest(hmac_hex(secret, payload), str(params.get("signature", "")))
