"""The venue tests' simulator (Binance and OKX protocols) and ccxt gateways, reused here."""

from __future__ import annotations

from tests.integration.venues.conftest import (  # noqa: F401 (pytest fixtures)
    gateway,
    make_gateway,
    sim,
    sim_config,
    venue,
)
