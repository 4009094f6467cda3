"""docs/config.md documents every key the models accept, with the defaults the models use."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from rebalancer.settings import (
    AlertsConfig,
    ApiConfig,
    AppConfig,
    ApprovalConfig,
    CalendarConfig,
    CommandsConfig,
    ContributionsConfig,
    DaemonConfig,
    DigestConfig,
    DriftBandConfig,
    ExecutionConfig,
    LimitsConfig,
    MarketDataConfig,
    PortfolioConfig,
    RiskConfig,
    RouteConfig,
    ScheduleEntryConfig,
    SlackConfig,
    TelegramConfig,
    VenueConfig,
    WebhookConfig,
)
from rebalancer.settings.backtest import (
    BacktestConfig,
    CashFlowConfig,
    MarketRules,
    SpreadConfig,
)

DOCS = (Path(__file__).resolve().parents[3] / "docs" / "config.md").read_text(encoding="utf-8")
MODELS: list[type[BaseModel]] = [
    AppConfig,
    PortfolioConfig,
    DriftBandConfig,
    CalendarConfig,
    CommandsConfig,
    ContributionsConfig,
    ScheduleEntryConfig,
    LimitsConfig,
    ExecutionConfig,
    ApprovalConfig,
    VenueConfig,
    RouteConfig,
    RiskConfig,
    DaemonConfig,
    MarketDataConfig,
    ApiConfig,
    AlertsConfig,
    TelegramConfig,
    SlackConfig,
    WebhookConfig,
    CommandsConfig,
    DigestConfig,
    BacktestConfig,
    SpreadConfig,
    MarketRules,
    CashFlowConfig,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_key_is_in_the_reference(model: type[BaseModel]) -> None:
    missing = [
        info.alias or name
        for name, info in model.model_fields.items()
        if f"`{info.alias or name}`" not in DOCS
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("model", "key"),
    [
        (PortfolioConfig, "band_edge_margin_percent"),
        (PortfolioConfig, "target_tolerance_percent"),
        (ExecutionConfig, "limit_timeout_s"),
        (ExecutionConfig, "max_rounds"),
        (ExecutionConfig, "transfer_timeout_s"),
        (RiskConfig, "max_price_jump_percent"),
        (RiskConfig, "failures_to_trip"),
        (DaemonConfig, "check_interval_s"),
        (DaemonConfig, "misfire_grace_s"),
        (MarketDataConfig, "max_age_s"),
        (MarketDataConfig, "stream_silent_after_s"),
        (ApiConfig, "port"),
        (AlertsConfig, "dedupe_window_s"),
        (WebhookConfig, "timeout_s"),
        (BacktestConfig, "start_value"),
        (SpreadConfig, "bps"),
    ],
)
def test_documented_defaults_match_the_models(model: type[BaseModel], key: str) -> None:
    default = model.model_fields[key].default
    shown = str(int(default)) if float(default) == int(default) else str(default)
    row = next(line for line in DOCS.splitlines() if line.startswith(f"| `{key}` |"))
    assert f"| `{shown}` |" in row
