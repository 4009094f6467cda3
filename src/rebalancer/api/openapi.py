"""The OpenAPI 3.1 document, generated from the endpoint table and its pydantic models.

Pydantic writes JSON Schema 2020-12, which is OpenAPI 3.1's schema dialect, so the models'
schemas go into ``components.schemas`` as they are. Query parameters come from the fields of
each endpoint's query model; every endpoint but the public ones requires the bearer token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, RootModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from rebalancer import __version__
from rebalancer.api.endpoints import Endpoint
from rebalancer.api.models import ErrorOut

REF = "#/components/schemas/{model}"
Refs = Mapping[tuple[Any, JsonSchemaMode], Any]  # (model, mode) -> its $ref
DESCRIPTIONS = {
    200: "OK",
    202: "Accepted",
    400: "The body is not JSON",
    401: "No valid bearer token",
    404: "No such thing",
    405: "Method not allowed",
    409: "Not possible in the current state",
    422: "A field is invalid (the reply names it)",
    503: "Not healthy",
}


def openapi_document(endpoints: Sequence[Endpoint]) -> dict[str, Any]:
    """The whole document for ``endpoints``."""
    refs, schemas = _schemas(endpoints)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "rebalancer",
            "version": __version__,
            "description": "The rebalancing daemon's local API: health, metrics, portfolios, "
            "runs, operator actions and the live event stream.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _schemas(
    endpoints: Sequence[Endpoint],
) -> tuple[Refs, dict[str, Any]]:
    wanted: set[tuple[type[BaseModel], JsonSchemaMode]] = {(ErrorOut, "serialization")}
    for endpoint in endpoints:
        if endpoint.body is not None:
            wanted.add((endpoint.body, "validation"))
        for model in endpoint.responses.values():
            if model is not None:
                wanted.add((model, "serialization"))
    ordered = sorted(wanted, key=lambda item: (item[0].__name__, item[1]))
    refs, top = models_json_schema(ordered, ref_template=REF)
    return refs, dict(top.get("$defs", {}))


def _operation(endpoint: Endpoint, refs: Refs) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": endpoint.operation_id,
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "responses": _responses(endpoint, refs),
    }
    parameters = _path_parameters(endpoint) + _query_parameters(endpoint)
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": _body_required(endpoint.body),
            "content": {"application/json": {"schema": refs[(endpoint.body, "validation")]}},
        }
    operation["security"] = [] if endpoint.public else [{"bearer": []}]
    return operation


def _responses(endpoint: Endpoint, refs: Refs) -> dict[str, Any]:
    error = {"application/json": {"schema": refs[(ErrorOut, "serialization")]}}
    statuses = dict(endpoint.responses)
    if not endpoint.public:
        statuses.setdefault(401, ErrorOut)
    if endpoint.query is not None or endpoint.body is not None or endpoint.path_params:
        statuses.setdefault(422, ErrorOut)
    if endpoint.body is not None:
        statuses.setdefault(400, ErrorOut)
    statuses.setdefault(405, ErrorOut)
    responses: dict[str, Any] = {}
    for status, model in sorted(statuses.items()):
        entry: dict[str, Any] = {"description": DESCRIPTIONS.get(status, "See the body")}
        if model is ErrorOut:
            entry["content"] = error
        elif model is not None:
            entry["content"] = {"application/json": {"schema": refs[(model, "serialization")]}}
        else:
            entry["content"] = {endpoint.media_type: {"schema": {"type": "string"}}}
        responses[str(status)] = entry
    return responses


def _body_required(model: type[BaseModel]) -> bool:
    """A body with a required field (or a union, as ``POST /runs``) must be sent."""
    if issubclass(model, RootModel):
        return True
    return any(field.is_required() for field in model.model_fields.values())


def _path_parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": description,
            "schema": {"type": "string", "minLength": 1, "maxLength": 64},
        }
        for name, description in endpoint.path_params.items()
    ]


def _query_parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    if endpoint.query is None:
        return []
    schema = endpoint.query.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": {k: v for k, v in prop.items() if k != "title"},
        }
        for name, prop in schema.get("properties", {}).items()
    ]
