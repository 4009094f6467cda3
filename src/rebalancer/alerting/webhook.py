"""The generic webhook: every event as signed JSON, POSTed with aiohttp.

The body (UTF-8 JSON)::

    {"id": "evt_42_1765000964185", "type": "run.filled", "event": "RunEnded",
     "created_at": "2026-12-06T06:02:44.185840+00:00", "portfolio": "core",
     "run_id": "3f9a0c2d1e", "critical": false, "text": "✅ core: run 3f9a0c2d1e FILLED ...",
     "data": {...the event's fields...}}

Headers: ``X-Rebalancer-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the exact body bytes
under the configured secret; ``Idempotency-Key`` (the body's ``id``, the same on every retry,
so a receiver drops a repeat); ``X-Rebalancer-Event`` (the ``type``). A 2xx is delivered; a
429 waits for its ``Retry-After``; a timeout, a lost connection, a 408 or a 5xx is retried; any
other status is a refusal.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import aiohttp

from rebalancer import __version__
from rebalancer.alerting.message import Message
from rebalancer.alerting.outbox import (
    Outgoing,
    PermanentFailure,
    RateLimited,
    TransientFailure,
)

SIGNATURE_HEADER = "X-Rebalancer-Signature-256"
DEFAULT_RETRY_AFTER_S = 30.0


def idempotency_key(event_id: int | None, message: Message) -> str:
    """``evt_<log id>_<event time in ms>``: the same for every retry of one event."""
    at = str(message.fields.get("at", ""))
    stamp = at.replace("-", "").replace(":", "").replace("+", "").replace(".", "")
    return f"evt_{event_id}_{stamp}" if event_id is not None else f"msg_{stamp}"


def webhook_body(message: Message) -> bytes:
    """The JSON body for ``message`` (its ``fields`` are the event as JSON)."""
    fields = dict(message.fields)
    name = str(fields.pop("name", message.name))
    document = {
        "id": idempotency_key(message.event_id, message),
        "type": message.lifecycle or f"event.{name}",
        "event": name,
        "created_at": fields.pop("at", None),
        "portfolio": fields.pop("portfolio", None),
        "run_id": fields.pop("run_id", None),
        "critical": message.critical,
        "text": message.plain_text(),
        "data": fields,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: bytes, body: bytes) -> str:
    """``sha256=<hex>``: what a receiver recomputes and compares (constant time)."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class WebhookTransport:
    """POSTs each message to the URL (``destination`` is ignored)."""

    def __init__(self, url: str, secret: str, timeout_s: float) -> None:
        self._url = url
        self._secret = secret.encode()
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def send(self, item: Outgoing) -> None:
        """POST one event; a ``SendFailure`` when it was not taken."""
        message = item.message
        body = webhook_body(message)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"rebalancer/{__version__}",
            SIGNATURE_HEADER: signature(self._secret, body),
            "Idempotency-Key": idempotency_key(message.event_id, message),
            "X-Rebalancer-Event": message.lifecycle or message.name,
        }
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(self._url, data=body, headers=headers) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After")
                await response.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise TransientFailure(
                f"webhook unreachable: {type(error).__name__}: {error}"
            ) from error
        if 200 <= status < 300:
            return
        if status == 429:
            raise RateLimited(
                _seconds(retry_after), f"webhook answered 429 (Retry-After {retry_after})"
            )
        if status >= 500 or status == 408:
            raise TransientFailure(f"webhook answered {status}")
        raise PermanentFailure(f"webhook refused it: {status}")

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()


def _seconds(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value is not None else DEFAULT_RETRY_AFTER_S
    except ValueError:
        return DEFAULT_RETRY_AFTER_S
