"""A webhook receiver on 127.0.0.1 that checks every delivery's signature as an integrator
would: HMAC-SHA256 of the exact body bytes under the shared secret, compared in constant time
with ``X-Rebalancer-Signature-256``; a repeat of an ``Idempotency-Key`` is counted, not taken
twice."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .faults import Fault, Faults
from .server_thread import ServerThread

PATH = "/hooks/rebalancer"


@dataclass
class Delivery:
    """One POST: its headers, parsed body, and whether its signature was right."""

    headers: dict[str, str]
    body: dict[str, Any]
    verified: bool
    at: float


@dataclass
class WebhookReceiver:
    """Records deliveries; answers 401 to a bad signature, 200 otherwise (or an armed fault)."""

    secret: str
    deliveries: list[Delivery] = field(default_factory=list)
    repeats: int = 0
    faults: Faults = field(default_factory=Faults)
    server: ServerThread | None = None

    def start(self) -> WebhookReceiver:
        """Serve on a free port."""
        app = web.Application()
        app.router.add_post(PATH, self._receive)
        self.server = ServerThread(app).start()
        return self

    @property
    def url(self) -> str:
        """What ``[alerts.webhook] url`` names."""
        assert self.server is not None
        return f"{self.server.url}{PATH}"

    def stop(self) -> None:
        """Stop serving."""
        if self.server is not None:
            self.server.stop()

    def arm(self, fault: Fault) -> None:
        """Answer the next deliveries with ``fault``."""
        assert self.server is not None
        self.server.call(self.faults.arm, "webhook", fault)

    def taken(self) -> list[dict[str, Any]]:
        """The bodies taken (verified, first of each idempotency key), in arrival order."""
        seen: set[str] = set()
        bodies = []
        for delivery in list(self.deliveries):
            key = delivery.headers.get("Idempotency-Key", "")
            if delivery.verified and key not in seen:
                seen.add(key)
                bodies.append(delivery.body)
        return bodies

    def verify(self, body: bytes, header: str) -> bool:
        """The check an integrator writes."""
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, header)

    async def _receive(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        verified = self.verify(raw, request.headers.get("X-Rebalancer-Signature-256", ""))
        delivery = Delivery(dict(request.headers), json.loads(raw), verified, time.monotonic())
        key = delivery.headers.get("Idempotency-Key", "")
        if any(d.headers.get("Idempotency-Key") == key for d in self.deliveries):
            self.repeats += 1
        self.deliveries.append(delivery)
        if not verified:
            return web.json_response({"error": "bad signature"}, status=401)
        fault = self.faults.take("webhook")
        if fault is not None:
            if fault.status == 429:
                return web.Response(status=429, headers={"Retry-After": str(fault.retry_after_s)})
            return web.Response(status=fault.status)
        return web.json_response({"received": True})
