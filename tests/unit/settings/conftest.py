"""Factories for config files: write a TOML variant, load it, collect its problems."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from rebalancer.domain.errors import ConfigError
from rebalancer.settings import AppConfig, load_config

MINIMAL = """
[portfolios.core]
quote = "USDT"
venues = ["binance", "okx"]
rebalance_to = "band_edge"
cooldown_days = 2

[portfolios.core.weights]
BTC = "40"
ETH = "30"
SOL = "10"
USDT = "20"

[portfolios.core.drift_band]
type = "absolute"
percent = "5"
per_asset = { SOL = "8" }

[portfolios.core.calendar]
every = "monthly"
day = "1"

[venues.binance]
exchange = "binance"

[venues.okx]
exchange = "okx"
"""

BAND_TABLE = """[portfolios.core.drift_band]
type = "absolute"
percent = "5"
per_asset = { SOL = "8" }
"""
CALENDAR_TABLE = """[portfolios.core.calendar]
every = "monthly"
day = "1"
"""

WriteConfig = Callable[..., Path]
Load = Callable[..., AppConfig]
Problems = Callable[..., list[str]]


def variant(replacements: Mapping[str, str] | None = None, extra: str = "") -> str:
    """MINIMAL with some lines replaced (each must exist) and more TOML appended."""
    text = MINIMAL
    for old, new in (replacements or {}).items():
        assert old in text, f"the base config has no {old!r}"
        text = text.replace(old, new, 1)
    return text + extra


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write a config variant into a fresh file and return its path."""

    def write(replacements: Mapping[str, str] | None = None, extra: str = "") -> Path:
        path = tmp_path / "rebalancer.toml"
        path.write_text(variant(replacements, extra), encoding="utf-8")
        return path

    return write


@pytest.fixture
def load(write_config: WriteConfig) -> Load:
    """Write a variant and load it with the given environment (none by default)."""

    def run(
        replacements: Mapping[str, str] | None = None,
        extra: str = "",
        env: Mapping[str, str] | None = None,
    ) -> AppConfig:
        return load_config(write_config(replacements, extra), env=env or {})

    return run


@pytest.fixture
def problems(write_config: WriteConfig) -> Problems:
    """Write a variant, expect it to be refused, and return every problem as printed.

    The file's path is replaced by ``FILE`` so tests read like the output a trader sees.
    """

    def run(
        replacements: Mapping[str, str] | None = None,
        extra: str = "",
        env: Mapping[str, str] | None = None,
    ) -> list[str]:
        path = write_config(replacements, extra)
        with pytest.raises(ConfigError) as caught:
            load_config(path, env=env or {})
        return [str(problem).replace(str(path), "FILE") for problem in caught.value.problems]

    return run
