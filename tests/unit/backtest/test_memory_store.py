"""The backtest's in-memory journal keeps the Store port's promises, checked by the very tests
the state database passes (imported from the persistence suite, run against ``MemoryStore``).

Left out are the tests about the database itself: raw SQL, reopening a file, two processes.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.integration.persistence.builders import SteppingClock
from tests.integration.persistence.test_journal import (
    test_a_limit_below_one_is_refused,
    test_an_event_for_an_unknown_run_is_refused,
    test_an_event_time_is_kept_in_utc,
    test_breaker_reasons_must_be_a_list_of_text,
    test_events_come_back_in_append_order_with_exact_payloads,
    test_payloads_that_are_not_exact_json_are_refused,
    test_the_breaker_is_unset_on_a_new_database,
)
from tests.integration.persistence.test_orders import (
    test_a_client_order_id_is_recorded_only_once,
    test_an_intent_for_an_unknown_run_is_refused,
    test_an_intent_reads_back_exactly_as_recorded,
    test_bad_updates_are_refused_naming_the_field,
    test_concurrent_intents_all_commit,
    test_non_terminal_orders_are_what_reconciliation_must_look_up,
    test_notional_traded_counts_fills_since_a_time,
    test_orders_of_a_run_come_back_in_recording_order,
    test_save_order_overwrites_the_stored_order,
    test_updates_follow_the_venue_and_stamp_the_time,
    test_updating_an_order_never_recorded_names_it,
)
from tests.integration.persistence.test_runs import (
    test_a_created_run_reads_back_with_every_field,
    test_a_malformed_round_is_refused_naming_the_field,
    test_a_round_cannot_be_saved_twice,
    test_a_round_lists_its_plan_nodes_with_their_dependencies,
    test_an_unknown_run_is_reported_by_id,
    test_rounds_keep_the_snapshot_and_plan_text_exactly,
    test_run_ids_given_by_the_caller_must_be_new,
    test_runs_list_newest_first_and_filter_by_portfolio,
    test_status_changes_keep_the_reason_and_the_time,
    test_the_cooldown_counts_from_the_last_full_run,
)
from tests.integration.persistence.test_set_asides import (
    test_a_release_racing_another_has_one_winner,
    test_a_set_aside_is_kept_with_its_run_amount_and_the_balance_seen,
    test_a_set_aside_is_released_once,
    test_a_set_aside_paid_in_part_holds_the_rest,
    test_only_active_set_asides_are_listed_unless_every_one_is_asked,
    test_the_balance_seen_and_the_warning_are_remembered,
    test_unknown_ids_and_bad_amounts_are_refused,
)
from tests.integration.persistence.test_transfers import (
    test_a_transfer_for_an_unknown_run_is_refused,
    test_a_transfer_id_is_recorded_only_once,
    test_a_transfer_moves_to_arrived_with_its_ids,
    test_a_transfer_reads_back_exactly_as_recorded,
    test_naive_timestamps_are_refused,
    test_pending_transfers_exclude_arrived_and_failed,
    test_what_a_transfer_is_cannot_be_changed,
)

from rebalancer.backtest.memory_store import MemoryStore
from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.plan import RunType
from rebalancer.domain.runs import RunStatus, Trigger

__all__ = [
    "test_a_client_order_id_is_recorded_only_once",
    "test_a_created_run_reads_back_with_every_field",
    "test_a_limit_below_one_is_refused",
    "test_a_malformed_round_is_refused_naming_the_field",
    "test_a_release_racing_another_has_one_winner",
    "test_a_round_cannot_be_saved_twice",
    "test_a_round_lists_its_plan_nodes_with_their_dependencies",
    "test_a_set_aside_is_kept_with_its_run_amount_and_the_balance_seen",
    "test_a_set_aside_is_released_once",
    "test_a_set_aside_paid_in_part_holds_the_rest",
    "test_a_transfer_for_an_unknown_run_is_refused",
    "test_a_transfer_id_is_recorded_only_once",
    "test_a_transfer_moves_to_arrived_with_its_ids",
    "test_a_transfer_reads_back_exactly_as_recorded",
    "test_an_event_for_an_unknown_run_is_refused",
    "test_an_event_time_is_kept_in_utc",
    "test_an_intent_for_an_unknown_run_is_refused",
    "test_an_intent_reads_back_exactly_as_recorded",
    "test_an_unknown_run_is_reported_by_id",
    "test_bad_updates_are_refused_naming_the_field",
    "test_breaker_reasons_must_be_a_list_of_text",
    "test_concurrent_intents_all_commit",
    "test_events_come_back_in_append_order_with_exact_payloads",
    "test_naive_timestamps_are_refused",
    "test_non_terminal_orders_are_what_reconciliation_must_look_up",
    "test_notional_traded_counts_fills_since_a_time",
    "test_only_active_set_asides_are_listed_unless_every_one_is_asked",
    "test_orders_of_a_run_come_back_in_recording_order",
    "test_payloads_that_are_not_exact_json_are_refused",
    "test_pending_transfers_exclude_arrived_and_failed",
    "test_rounds_keep_the_snapshot_and_plan_text_exactly",
    "test_run_ids_given_by_the_caller_must_be_new",
    "test_runs_list_newest_first_and_filter_by_portfolio",
    "test_save_order_overwrites_the_stored_order",
    "test_status_changes_keep_the_reason_and_the_time",
    "test_the_balance_seen_and_the_warning_are_remembered",
    "test_the_breaker_is_unset_on_a_new_database",
    "test_the_cooldown_counts_from_the_last_full_run",
    "test_unknown_ids_and_bad_amounts_are_refused",
    "test_updates_follow_the_venue_and_stamp_the_time",
    "test_updating_an_order_never_recorded_names_it",
    "test_what_a_transfer_is_cannot_be_changed",
]


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
def store(clock: SteppingClock) -> MemoryStore:
    return MemoryStore(clock)


async def test_runs_in_flight_follow_every_status_change(store: MemoryStore) -> None:
    first = await store.create_run("core", RunType.FULL, Trigger.DRIFT)
    second = await store.create_run("core", RunType.FULL, Trigger.CALENDAR)
    await store.set_run_status(first.id, RunStatus.FILLED)

    assert [r.id for r in await store.runs_in_flight()] == [second.id]
    await store.set_run_status(second.id, RunStatus.AWAITING_APPROVAL)
    assert [r.id for r in await store.runs_in_flight()] == [second.id]
    await store.set_run_status(second.id, RunStatus.CANCELLED)
    assert await store.runs_in_flight() == []


async def test_an_infinite_amount_is_refused(store: MemoryStore) -> None:
    from tests.integration.persistence.builders import order

    run = await store.create_run("core", RunType.FULL, Trigger.DRIFT)
    with pytest.raises(InvalidValue, match="amount"):
        await store.record_order_intent(order(run.id, amount=Decimal("Infinity")))
