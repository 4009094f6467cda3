"""The backtest's in-memory journal keeps the Store port's promises about run requests, pauses
and kept snapshots: the persistence suite's own tests, run against ``MemoryStore``."""

from __future__ import annotations

import pytest
from tests.integration.persistence.builders import SteppingClock
from tests.integration.persistence.test_requests import (
    test_a_deposit_is_invested_only_once,
    test_a_key_makes_a_request_once,
    test_a_pause_is_kept_and_lifted,
    test_a_request_is_a_new_run_holding_what_was_asked,
    test_a_run_not_requested_has_no_request,
    test_a_run_with_orders_is_never_pending_again,
    test_cancelling_an_unknown_request_raises,
    test_concurrent_take_and_cancel_have_exactly_one_winner,
    test_recovery_releases_requests_taken_but_never_started,
    test_taking_and_cancelling_exclude_each_other,
    test_the_latest_snapshot_replaces_the_previous_one,
    test_watermarks_are_set_once,
)

from rebalancer.backtest.memory_store import MemoryStore

__all__ = [
    "test_a_deposit_is_invested_only_once",
    "test_a_key_makes_a_request_once",
    "test_a_pause_is_kept_and_lifted",
    "test_a_request_is_a_new_run_holding_what_was_asked",
    "test_a_run_not_requested_has_no_request",
    "test_a_run_with_orders_is_never_pending_again",
    "test_cancelling_an_unknown_request_raises",
    "test_concurrent_take_and_cancel_have_exactly_one_winner",
    "test_recovery_releases_requests_taken_but_never_started",
    "test_taking_and_cancelling_exclude_each_other",
    "test_the_latest_snapshot_replaces_the_previous_one",
    "test_watermarks_are_set_once",
]


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore(SteppingClock())
