"""Replay recorded exchange replies at ccxt's transport seam (``Exchange.fetch``).

ccxt's own response tests do the same (``set_fetch_response``): the real ccxt request building
and parsing run, only the socket is replaced by a recorded reply. Integration tests use the
simulator over real sockets instead.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rebalancer.venues.ccxt.gateway import CcxtGateway
from rebalancer.venues.ccxt.instance import VenueSpec

PAYLOADS = Path(__file__).parent / "payloads"


def load(name: str) -> dict[str, Any]:
    """A recorded payload file."""
    loaded: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return loaded


class Replay:
    """Answer ccxt's requests from ``replies`` keyed "METHOD /path"; record what was asked."""

    def __init__(self, replies: dict[str, Any]) -> None:
        self.replies = dict(replies)
        self.requests: list[tuple[str, str, str | None]] = []

    async def fetch(
        self, url: str, method: str = "GET", headers: Any = None, body: Any = None
    ) -> Any:
        parts = urlsplit(url)
        self.requests.append((method, url, body))
        key = f"{method} {parts.path}"
        if key not in self.replies:
            raise AssertionError(f"no recorded reply for {key}")
        return copy.deepcopy(self.replies[key])

    def asked(self, method: str, path: str) -> list[str]:
        """The URLs (with query) and bodies of requests to ``method path``."""
        return [
            f"{url} {body or ''}"
            for m, url, body in self.requests
            if m == method and urlsplit(url).path == path
        ]


def binance_gateway(replies: dict[str, Any]) -> tuple[CcxtGateway, Replay]:
    """An offline Binance gateway whose HTTP replies come from ``replies``."""
    spec = VenueSpec(
        name="binance",
        exchange="binance",
        api_key="key",
        secret="secret",
        urls={
            "api": {
                "public": "http://replay/api/v3",
                "private": "http://replay/api/v3",
                "sapi": "http://replay/sapi/v1",
            }
        },
    )
    return _wrap(spec, replies)


def okx_gateway(replies: dict[str, Any]) -> tuple[CcxtGateway, Replay]:
    """An offline OKX gateway whose HTTP replies come from ``replies``."""
    spec = VenueSpec(
        name="okx",
        exchange="okx",
        api_key="key",
        secret="secret",
        password="pass",
        urls={"api": {"rest": "http://replay"}},
    )
    return _wrap(spec, replies)


def _wrap(spec: VenueSpec, replies: dict[str, Any]) -> tuple[CcxtGateway, Replay]:
    replay = Replay(replies)
    gateway = CcxtGateway.from_spec(spec, read_attempts=1)
    gateway.exchange.fetch = replay.fetch  # the transport seam
    gateway.exchange.enableRateLimit = False  # no throttling of replayed requests
    gateway.exchange.timeout_on_exit = 0  # no TLS sockets to let drain on close
    return gateway, replay
