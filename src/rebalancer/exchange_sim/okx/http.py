"""The OKX envelope and the plumbing every REST handler shares.

Every answer is ``{"code": "0", "msg": "", "data": [...]}``; a refusal carries OKX's code and
message with the HTTP status OKX uses for it. Private handlers receive the caller's account only
after the signature checked out (``auth.verify_rest`` over the raw path, query and body).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from aiohttp.typedefs import Handler

from rebalancer.exchange_sim.okx import errors
from rebalancer.exchange_sim.okx.auth import CredentialLookup, verify_rest
from rebalancer.exchange_sim.okx.errors import OkxRejection
from rebalancer.exchange_sim.okx.payloads import Json


@dataclass(frozen=True, slots=True)
class PrivateCall:
    """A verified private request: whose it is, its query and its parsed JSON body."""

    account: str
    query: Mapping[str, str]
    body: object


PublicHandler = Callable[[web.Request], Awaitable[web.Response]]
PrivateHandler = Callable[[PrivateCall], Awaitable[web.Response]]


def ok(data: Sequence[object]) -> web.Response:
    """A successful OKX answer (objects, or rows such as candles)."""
    return web.json_response({"code": "0", "msg": "", "data": data})


def refused(rejection: OkxRejection, data: list[Json] | None = None) -> web.Response:
    """An OKX error answer with the code's HTTP status."""
    body = {"code": rejection.code, "msg": rejection.msg, "data": data or []}
    return web.json_response(body, status=rejection.http_status)


def per_order_failure(items: list[Json], all_failed: bool) -> web.Response:
    """A batch answer where some orders failed: code 1 (all failed) or 2 (partly), HTTP 200."""
    code, msg = (
        ("1", "All operations failed")
        if all_failed
        else ("2", "Bulk operation partially succeeded")
    )
    return web.json_response({"code": code, "msg": msg, "data": items})


def private(
    handler: PrivateHandler, lookup: CredentialLookup, clock: Callable[[], datetime]
) -> PublicHandler:
    """Wrap a handler so it runs only for a correctly signed request."""

    async def checked(request: web.Request) -> web.Response:
        # body_exists, not can_read_body: a late request (fault plane) was read on arrival
        body_text = await request.text() if request.body_exists else ""
        credentials = verify_rest(
            request.headers,
            request.method,
            request.raw_path,
            body_text,
            lookup=lookup,
            now=clock(),
        )
        body: object = None
        if body_text:
            try:
                body = json.loads(body_text)
            except json.JSONDecodeError:
                raise OkxRejection(errors.JSON_SYNTAX) from None
        elif request.method == "POST":
            raise OkxRejection(errors.BODY_EMPTY)
        return await handler(PrivateCall(credentials.account, request.query, body))

    return checked


def body_object(call: PrivateCall) -> Mapping[str, object]:
    """The body as one JSON object, or 50002."""
    if not isinstance(call.body, Mapping):
        raise OkxRejection(errors.JSON_SYNTAX)
    return call.body


@web.middleware
async def okx_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn an OkxRejection raised anywhere below into OKX's error envelope."""
    try:
        return await handler(request)
    except OkxRejection as rejection:
        return refused(rejection)


async def not_found(request: web.Request) -> web.Response:
    """OKX's answer for a path it does not serve."""
    del request
    return web.json_response(
        {"code": "50115", "msg": "Invalid request method.", "data": []}, status=404
    )
