"""Bearer-token authentication: every request but the public paths needs ``Authorization``.

The token is compared in constant time. A missing or wrong token gets 401 with a
``WWW-Authenticate: Bearer`` header, and the request goes no further.
"""

from __future__ import annotations

import hmac

from aiohttp import web
from aiohttp.typedefs import Middleware

from rebalancer.api.errors import ApiError, Handler


def token_middleware(token: str, public: frozenset[str]) -> Middleware:
    """A middleware requiring ``Authorization: Bearer <token>`` outside ``public`` paths."""
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def check_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in public:
            return await handler(request)
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return ApiError(401, "a valid bearer token is required").response(
                {"WWW-Authenticate": 'Bearer realm="rebalancer"'}
            )
        return await handler(request)

    return check_token
