"""Config models (pydantic-settings): a TOML file plus environment variables for secrets.

``load_config`` is the one way in; ``AppConfig`` is what the rest of the program reads.
The key reference with every default is ``docs/config.md``.
"""

from rebalancer.settings.app import AppConfig
from rebalancer.settings.loading import load_config
from rebalancer.settings.operators import (
    AlertsConfig,
    ApiConfig,
    CommandsConfig,
    DigestConfig,
    SlackConfig,
    TelegramConfig,
    WebhookConfig,
)
from rebalancer.settings.portfolio import PortfolioConfig
from rebalancer.settings.routes import RouteConfig
from rebalancer.settings.snapshot_check import check_against_snapshot
from rebalancer.settings.standing import ContributionsConfig, ScheduleEntryConfig
from rebalancer.settings.subsystems import DaemonConfig, LogFormat, MarketDataConfig, RiskConfig
from rebalancer.settings.trading import (
    ApprovalConfig,
    ExecutionConfig,
    LimitsConfig,
    OnLimitTimeout,
)
from rebalancer.settings.triggers import CalendarConfig, DriftBandConfig
from rebalancer.settings.venues import VenueConfig

__all__ = [
    "AlertsConfig",
    "ApiConfig",
    "AppConfig",
    "ApprovalConfig",
    "CalendarConfig",
    "CommandsConfig",
    "ContributionsConfig",
    "DaemonConfig",
    "DigestConfig",
    "DriftBandConfig",
    "ExecutionConfig",
    "LimitsConfig",
    "LogFormat",
    "MarketDataConfig",
    "OnLimitTimeout",
    "PortfolioConfig",
    "RiskConfig",
    "RouteConfig",
    "ScheduleEntryConfig",
    "SlackConfig",
    "TelegramConfig",
    "VenueConfig",
    "WebhookConfig",
    "check_against_snapshot",
    "load_config",
]
