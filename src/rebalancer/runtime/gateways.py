"""Build one ccxt gateway per configured venue: a real exchange, a simulator, or paper.

Three ways a venue is reached, all through ccxt:

- ``simulated = true``: the simulator embedded in this daemon (paper mode); its connection
  gives the URLs, options and paper keys;
- ``sim_connection = "FILE"``: a simulator started separately (``rebalancer exchange-sim
  --print-connection > FILE``); the file's entry for this venue, with the table's own
  ``urls``/``options``/credentials laid over it;
- otherwise the exchange itself, with ``urls``/``options`` merged over ccxt's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr

from rebalancer.domain.errors import ConfigError, Problem
from rebalancer.settings import AppConfig, VenueConfig
from rebalancer.venues.ccxt.gateway import CcxtGateway
from rebalancer.venues.ccxt.instance import VenueSpec, deep_merge, spec_from_connection


def read_connection(path: Path, venue: str) -> dict[str, Any]:
    """A simulator connection file, parsed (``ConfigError`` naming the venue's key if not)."""
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        problem = Problem(f"venues.{venue}.sim_connection", f"cannot read {path}: {error}")
        raise ConfigError([problem]) from None
    if not isinstance(loaded, dict):
        problem = Problem(f"venues.{venue}.sim_connection", f"{path} is not a JSON object")
        raise ConfigError([problem])
    return loaded


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def venue_spec(name: str, venue: VenueConfig, paper: Mapping[str, Any] | None) -> VenueSpec:
    """How to reach venue ``name`` (``paper``: the embedded simulator's connection)."""
    if venue.simulated:
        if paper is None:
            raise ConfigError([Problem(f"venues.{name}", "simulated, but no simulator running")])
        return spec_from_connection(name, paper)
    base = VenueSpec(name=name, exchange=venue.exchange)
    if venue.sim_connection is not None:
        base = spec_from_connection(name, read_connection(Path(venue.sim_connection), name))
    return VenueSpec(
        name=name,
        exchange=base.exchange if venue.sim_connection is not None else venue.exchange,
        api_key=_secret(venue.api_key) or base.api_key,
        secret=_secret(venue.secret) or base.secret,
        password=_secret(venue.password) or base.password,
        urls=deep_merge(base.urls, venue.urls),
        options=deep_merge(base.options, venue.options),
        sandbox=venue.sandbox,
    )


def config_secrets(config: BaseModel) -> list[str]:
    """Every secret value anywhere in the config (and a database URL's password on its own)."""
    found: list[str] = []
    for value in _walk(config):
        plain = value.get_secret_value()
        found.append(plain)
        password = urlsplit(plain).password if "://" in plain else None
        if password:
            found.append(password)
    return found


def _walk(value: object) -> list[SecretStr]:
    if isinstance(value, SecretStr):
        return [value]
    if isinstance(value, BaseModel):
        return [s for name in type(value).model_fields for s in _walk(getattr(value, name))]
    if isinstance(value, Mapping):
        return [s for item in value.values() for s in _walk(item)]
    if isinstance(value, tuple | list):
        return [s for item in value for s in _walk(item)]
    return []


def venue_specs(config: AppConfig, paper: Mapping[str, Any] | None) -> dict[str, VenueSpec]:
    """How to reach every venue any portfolio uses."""
    used = {venue for portfolio in config.portfolios.values() for venue in portfolio.venues}
    return {name: venue_spec(name, config.venues[name], paper) for name in sorted(used)}


def spec_secrets(specs: Mapping[str, VenueSpec]) -> list[str]:
    """The keys in the specs (a simulator's too), for the log redactor."""
    return [
        value
        for spec in specs.values()
        for value in (spec.api_key, spec.secret, spec.password)
        if value
    ]


def build_gateways(specs: Mapping[str, VenueSpec]) -> dict[str, CcxtGateway]:
    """One ccxt gateway per spec; the caller closes them."""
    return {name: CcxtGateway.from_spec(spec) for name, spec in specs.items()}
