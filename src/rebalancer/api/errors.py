"""Errors as JSON: every 4xx and 5xx reply is an ``ErrorOut`` naming what was wrong and where.

``ApiError`` is raised by handlers for a reply they decide on (404 no such run, 409 a run that
cannot be approved now). ``error_middleware`` turns it, aiohttp's own HTTP errors (405 with its
``Allow`` header, 404 for an unknown path) and anything unexpected (logged, 500) into JSON.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from pydantic import ValidationError

from rebalancer.api.models import ErrorOut, Problem

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """A reply with an HTTP error status, a sentence and the problems by field."""

    def __init__(self, status: int, error: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.problems = list(problems)

    def response(self, headers: dict[str, str] | None = None) -> web.Response:
        """The error as a JSON response."""
        body = ErrorOut(status=self.status, error=self.error, problems=self.problems)
        return web.Response(
            status=self.status,
            text=body.model_dump_json(),
            content_type="application/json",
            headers=headers,
        )


def invalid(where: str, error: ValidationError) -> ApiError:
    """A 422 naming each field pydantic refused (``query.limit``, ``body.amount``)."""
    problems = [
        Problem(
            field=".".join([where, *(str(part) for part in item["loc"])]),
            message=item["msg"],
        )
        for item in error.errors()
    ]
    fields = ", ".join(p.field for p in problems)
    return ApiError(422, f"invalid {where}: {fields}", problems)


def parse_json(text: str) -> object:
    """A request body as JSON; a 400 naming the body when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ApiError(
            400, "the body is not JSON", [Problem(field="body", message=str(error))]
        ) from None


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Reply with JSON for every error (see the module doc)."""
    try:
        return await handler(request)
    except ApiError as error:
        return error.response()
    except web.HTTPException as error:
        if error.status < 400:
            raise
        headers = {"Allow": error.headers["Allow"]} if "Allow" in error.headers else None
        return ApiError(error.status, error.reason).response(headers)
    except Exception:
        log.exception("API %s %s failed", request.method, request.path)
        return ApiError(500, "internal error (logged by the daemon)").response()
