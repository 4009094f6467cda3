"""The root of the config: every subsystem's table composed into one frozen, strict model.

Build it with ``rebalancer.settings.load_config``, which reads the TOML file, overlays the
environment (through pydantic-settings' environment source, configured here) and reports every
problem at once. ``AppConfig(...)`` validates exactly the values it is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import Field, PrivateAttr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from rebalancer.domain.policy import Policy
from rebalancer.domain.snapshot import Route
from rebalancer.settings.backtest import BacktestConfig
from rebalancer.settings.fields import Name
from rebalancer.settings.operators import AlertsConfig, ApiConfig
from rebalancer.settings.portfolio import PortfolioConfig
from rebalancer.settings.routes import RouteConfig
from rebalancer.settings.subsystems import DaemonConfig, MarketDataConfig, RiskConfig
from rebalancer.settings.venues import VenueConfig

ENV_PREFIX = "REBALANCER_"
ENV_DELIMITER = "__"


class AppConfig(BaseSettings):
    """Everything the daemon and the commands are configured with."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_DELIMITER,
        env_ignore_empty=True,
        case_sensitive=False,
        extra="forbid",
        frozen=True,
    )

    portfolios: Mapping[Name, PortfolioConfig] = Field(
        min_length=1, description="one table per portfolio, keyed by its name"
    )
    venues: Mapping[Name, VenueConfig] = Field(
        min_length=1, description="one table per exchange account, keyed by its name"
    )
    routes: tuple[RouteConfig, ...] = Field(
        default=(), description="ways to move assets between venues"
    )
    risk: RiskConfig = Field(default_factory=RiskConfig)
    daemon: DaemonConfig = Field(default_factory=DaemonConfig)
    market_data: MarketDataConfig = Field(default_factory=MarketDataConfig)
    api: ApiConfig = Field(default_factory=ApiConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    backtest: BacktestConfig = Field(
        default_factory=BacktestConfig, description="what `rebalancer backtest` is told"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Validate exactly the values given: ``load_config`` reads the file and the environment.

        Reading ``os.environ`` here would let the process environment leak into a config
        loaded with an explicit ``env`` mapping (tests, reloads).
        """
        return (init_settings,)

    _source_file: Path | None = PrivateAttr(default=None)
    _secrets_in_file: tuple[str, ...] = PrivateAttr(default=())

    @property
    def source_file(self) -> Path | None:
        """The file this config was loaded from (None when built in code)."""
        return self._source_file

    @property
    def secrets_in_file(self) -> tuple[str, ...]:
        """Key paths of secrets written in the file rather than the environment."""
        return self._secrets_in_file

    def remember_source(self, path: Path, secrets_in_file: tuple[str, ...] = ()) -> None:
        """Record the file the config came from, and which secrets it holds itself."""
        self._source_file = path
        self._secrets_in_file = secrets_in_file

    def portfolio(self, name: str) -> PortfolioConfig:
        """The named portfolio; KeyError lists the names that exist."""
        try:
            return self.portfolios[name]
        except KeyError:
            known = ", ".join(sorted(self.portfolios))
            raise KeyError(f"no portfolio named {name!r} (known: {known})") from None

    def policy(self, name: str) -> Policy:
        """The named portfolio's pure domain policy (all percents and amounts as Decimal)."""
        return self.portfolio(name).to_policy(name)

    def routes_for_snapshot(self) -> tuple[Route, ...]:
        """The configured routes as the snapshot's domain routes, in file order."""
        return tuple(route.to_route() for route in self.routes)

    def venues_of(self, name: str) -> dict[str, VenueConfig]:
        """The venue tables the named portfolio uses, in its order."""
        return {venue: self.venues[venue] for venue in self.portfolio(name).venues}
