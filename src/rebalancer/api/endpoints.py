"""Endpoints declared once: method, path, the models in and out, and the handler.

The same ``Endpoint`` values register the aiohttp routes (``route``) and generate the OpenAPI
document (``rebalancer.api.openapi``). A JSON handler gets its validated query, path and body
models and returns a response model (or ``Reply`` for a status other than 200); bad input never
reaches it: it is refused with a 4xx naming the field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from rebalancer.api.errors import ApiError, invalid, parse_json
from rebalancer.api.models import Problem


@dataclass(frozen=True, slots=True)
class Call:
    """One validated request, as a handler receives it."""

    request: web.Request
    path: Mapping[str, str]
    query: BaseModel | None
    body: BaseModel | None


@dataclass(frozen=True, slots=True)
class Reply:
    """A response model with a status other than 200."""

    status: int
    model: BaseModel


JsonHandler = Callable[[Call], Awaitable[BaseModel | Reply]]
RawHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One operation of the API.

    ``responses`` maps each documented status to its model (None: the body is described by
    ``media_type`` alone, as for metrics and the event stream). A ``raw`` handler writes its
    own response (streams, metrics); ``handler`` is for JSON.
    """

    method: str
    path: str
    operation_id: str
    summary: str
    tag: str
    responses: Mapping[int, type[BaseModel] | None]
    handler: JsonHandler | None = None
    raw: RawHandler | None = None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    path_params: Mapping[str, str] = field(default_factory=dict)  # name -> description
    media_type: str = "application/json"
    public: bool = False

    def route(self) -> web.RouteDef:
        """The aiohttp route that validates and dispatches to the handler."""
        if self.raw is not None:
            return web.route(self.method, self.path, self._raw)
        return web.route(self.method, self.path, self._json)

    async def _raw(self, request: web.Request) -> web.StreamResponse:
        assert self.raw is not None
        if self.query is not None:
            _validated(self.query, dict(request.query), "query")
        return await self.raw(request)

    async def _json(self, request: web.Request) -> web.StreamResponse:
        assert self.handler is not None
        query = _validated(self.query, dict(request.query), "query") if self.query else None
        body = None
        if self.body is not None:
            text = _utf8(await request.read())
            body = _validated(self.body, parse_json(text) if text.strip() else {}, "body")
        result = await self.handler(Call(request, dict(request.match_info), query, body))
        status, model = (
            (result.status, result.model) if isinstance(result, Reply) else (200, result)
        )
        return web.Response(
            status=status,
            text=model.model_dump_json(by_alias=True),
            content_type="application/json",
        )


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(
            400, "the body is not UTF-8 JSON", [Problem(field="body", message=str(error))]
        ) from None


def _validated(model: type[BaseModel], data: Any, where: str) -> BaseModel:
    if not isinstance(data, dict):
        raise ApiError(422, f"invalid {where}: expected a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise invalid(where, error) from None
