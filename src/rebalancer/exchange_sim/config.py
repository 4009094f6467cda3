"""The simulator's config file (TOML): ports, venues, accounts, balances, markets, prices.

Strict: unknown keys are errors and every problem names its key path. Amounts are decimal
strings (TOML integers are accepted; TOML floats are refused because they are not the decimal
that was written). Paths are relative to the config file. See ``config/exchange-sim.toml``
and ``docs/exchange-sim.md``.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from rebalancer.domain.money import to_decimal
from rebalancer.exchange_sim.default_rules import built_in_symbols

Dec = Annotated[Decimal, BeforeValidator(lambda value: to_decimal(value, what="value"))]


class Strict(BaseModel):
    """Frozen, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BookConfig(Strict):
    """How each market's synthetic book looks around the mid."""

    spread_bps: Dec = Decimal("2")
    levels: int = Field(default=10, ge=1, le=1000)
    level_gap_bps: Dec = Decimal("1")
    level_notional: Dec = Decimal("50000")


class AccountConfig(Strict):
    """One API key and what it holds at the start."""

    api_key: str = Field(min_length=1)
    secret: str = Field(min_length=1)
    passphrase: str | None = None
    balances: dict[str, Dec] = Field(default_factory=dict)


class NetworkConfig(Strict):
    """How one asset moves in and out of a venue; ``address`` fixes its deposit address."""

    asset: str
    network: str
    fee: Dec = Decimal(0)
    min_amount: Dec = Decimal(0)
    delay_s: float = Field(default=0.0, ge=0)
    withdraw_enabled: bool = True
    deposit_enabled: bool = True
    default: bool = False
    address: str | None = None


class MarketRulesConfig(Strict):
    """Market rules given by hand instead of read from a rules file (no minimum notional: 0)."""

    amount_step: Dec
    min_amount: Dec
    min_notional: Dec = Decimal(0)
    price_tick: Dec
    max_amount: Dec | None = None


class VenueConfig(Strict):
    """One venue: its protocol, port, markets, fees, accounts and transfer networks."""

    protocol: Literal["binance", "okx"]
    port: int = Field(default=0, ge=0, le=65535)
    markets: list[str] = Field(min_length=1)
    maker_fee: Dec = Decimal("0.001")
    taker_fee: Dec = Decimal("0.001")
    price_offset_bps: Dec = Decimal(0)
    book: BookConfig = Field(default_factory=BookConfig)
    rules: dict[str, MarketRulesConfig] = Field(default_factory=dict)
    accounts: list[AccountConfig] = Field(min_length=1)
    networks: list[NetworkConfig] = Field(default_factory=list)


class ScriptStep(Strict):
    """Prices that take effect ``at_s`` seconds after the start."""

    at_s: float = Field(ge=0)
    prices: dict[str, Dec]


class PricesConfig(Strict):
    """Where mids come from: ``static``, ``random_walk``, ``scripted`` or ``replay``."""

    source: Literal["static", "random_walk", "scripted", "replay"] = "random_walk"
    start: dict[str, Dec] = Field(default_factory=dict)
    seed: int = 1
    annual_volatility: float = Field(default=0.7, ge=0)
    correlation: float = Field(default=0.7, ge=0, le=1)
    step_s: float = Field(default=1.0, gt=0)
    steps: list[ScriptStep] = Field(default_factory=list)
    klines: dict[str, str] = Field(default_factory=dict)
    speed: float = Field(default=3600.0, gt=0)
    max_bars: int = Field(default=5000, ge=2)

    @model_validator(mode="after")
    def _source_has_its_inputs(self) -> PricesConfig:
        if self.source in ("static", "random_walk") and not self.start:
            raise ValueError(f"prices.start: needed for source {self.source!r}")
        if self.source == "scripted" and not self.steps:
            raise ValueError("prices.steps: needed for source 'scripted'")
        if self.source == "replay" and not self.klines:
            raise ValueError("prices.klines: needed for source 'replay'")
        return self


class ServerConfig(Strict):
    """Where the simulator listens and how often it moves."""

    host: Literal["127.0.0.1", "localhost", "::1"] = "127.0.0.1"
    control_port: int = Field(default=0, ge=0, le=65535)
    price_interval_ms: int = Field(default=250, ge=10)
    stream_interval_ms: int = Field(default=100, ge=10)
    exchange_info: str | None = None  # a Binance exchangeInfo JSON; else built-in rules
    okx_instruments: str | None = None  # an OKX public/instruments JSON; else built-in rules


# the rules file each protocol's venues read markets from (the exchange's own format)
RULES_FILE_KEYS = {"binance": "exchange_info", "okx": "okx_instruments"}


class SimulatorConfig(Strict):
    """The whole simulator config file."""

    simulator: ServerConfig = Field(default_factory=ServerConfig)
    prices: PricesConfig
    venues: dict[str, VenueConfig] = Field(min_length=1)
    base_dir: Path = Path()

    @model_validator(mode="after")
    def _every_market_has_rules(self) -> SimulatorConfig:
        for name, venue in self.venues.items():
            rules_file = RULES_FILE_KEYS[venue.protocol]
            if getattr(self.simulator, rules_file) is not None:
                continue
            known = built_in_symbols(venue.protocol)
            unknown = [s for s in venue.markets if s not in venue.rules and s not in known]
            if unknown:
                raise ValueError(
                    f"venues.{name}.markets: no built-in {venue.protocol} rules for "
                    f"{', '.join(unknown)} (built in: {', '.join(sorted(known))}); give them "
                    f"in [venues.{name}.rules] or set simulator.{rules_file}"
                )
        return self

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the config file's directory."""
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.base_dir / candidate


class SimulatorConfigError(ValueError):
    """The config is wrong; the message lists every problem with its key path."""


def parse_config(raw: dict[str, Any], base_dir: Path = Path()) -> SimulatorConfig:
    """Validate a parsed config mapping (``SimulatorConfigError`` names each bad key)."""
    try:
        return SimulatorConfig.model_validate({**raw, "base_dir": base_dir})
    except ValidationError as invalid:
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or '(top)'}: {error['msg']}"
            for error in invalid.errors()
        ]
        raise SimulatorConfigError("\n".join(problems)) from None


def load_config(path: Path) -> SimulatorConfig:
    """Read and validate a TOML config file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as bad:
        raise SimulatorConfigError(f"{path}: not valid TOML: {bad}") from None
    return parse_config(raw, path.parent.resolve())
