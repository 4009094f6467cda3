"""A configured feature this version does not serve is said plainly at start, not ignored."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from rebalancer.runtime.daemon import _warn_about_unbuilt_features
from rebalancer.settings import load_config

MINIMAL = Path(__file__).resolve().parents[3] / "config" / "minimal.toml"


def test_enabling_an_alert_sink_warns_that_it_is_not_served_but_the_api_is_served(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = load_config(
        MINIMAL,
        env={
            "REBALANCER_API__ENABLED": "true",
            "REBALANCER_API__TOKEN": "a-long-api-token",
            "REBALANCER_ALERTS__SLACK__WEBHOOK_URL": "https://hooks.example/x",
        },
    )
    with caplog.at_level(logging.WARNING):
        _warn_about_unbuilt_features(config)
    messages = " ".join(record.getMessage() for record in caplog.records)
    assert "HTTP API" not in messages  # served now
    assert "slack" in messages


def test_a_config_without_them_starts_quietly(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        _warn_about_unbuilt_features(load_config(MINIMAL, env={}))
    assert caplog.records == []
