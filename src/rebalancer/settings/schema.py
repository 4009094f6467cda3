"""The JSON Schema of the config file, as editors read it."""

from __future__ import annotations

from typing import Any

from rebalancer.settings.app import AppConfig

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# pydantic leaves a decimal's bounds under its own names when the decimal may also be a string
_BOUNDS = {"ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum"}


def config_schema() -> dict[str, Any]:
    """The schema of what a config file may contain (keys as written in the file)."""
    schema = AppConfig.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = SCHEMA_DIALECT
    schema["title"] = "rebalancer config"
    schema["description"] = "The rebalancer config file (TOML). Reference: docs/config.md."
    standard: dict[str, Any] = _with_standard_bounds(schema)
    return standard


def _with_standard_bounds(node: Any) -> Any:
    """Move ``ge``/``gt``/``le``/``lt`` onto the numeric branch as JSON Schema keywords.

    A decimal string cannot carry numeric bounds in JSON Schema, so only the number branch
    gets them; the loader checks both spellings.
    """
    if isinstance(node, list):
        return [_with_standard_bounds(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: _with_standard_bounds(value) for key, value in node.items()}
    bounds = {_BOUNDS[key]: result.pop(key) for key in list(result) if key in _BOUNDS}
    if bounds:
        for branch in result.get("anyOf", [result]):
            if branch.get("type") in ("number", "integer"):
                branch.update(bounds)
    return result
