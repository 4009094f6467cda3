"""A configured feature this version does not serve is said plainly at start, not ignored;
the HTTP API and the alert sinks are served, so configuring them warns of nothing."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from rebalancer.runtime.daemon import _warn_about_unbuilt_features
from rebalancer.settings import load_config

MINIMAL = Path(__file__).resolve().parents[3] / "config" / "minimal.toml"


def test_the_api_and_alert_sinks_are_served_and_start_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = load_config(
        MINIMAL,
        env={
            "REBALANCER_API__ENABLED": "true",
            "REBALANCER_API__TOKEN": "a-long-api-token",
            "REBALANCER_ALERTS__SLACK__WEBHOOK_URL": "https://hooks.example/x",
            "REBALANCER_ALERTS__TELEGRAM__BOT_TOKEN": "1:x",
            "REBALANCER_ALERTS__TELEGRAM__CHAT_IDS": "[1]",
        },
    )
    with caplog.at_level(logging.WARNING):
        _warn_about_unbuilt_features(config)
    assert caplog.records == []
