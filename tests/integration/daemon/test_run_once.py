"""``rebalancer run --once``: a whole cycle on two venues that needs a transfer, and its history."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from tests.e2e.harness import inside_bands

from rebalancer.cli import main
from rebalancer.domain.plan import RunType
from rebalancer.domain.records import TransferRecord, TransferState
from rebalancer.domain.runs import Trigger
from rebalancer.persistence import open_store, sqlite_url

from .conftest import ThreadSim


def runs_json(config: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["runs", "--config", str(config), "--json"]) == 0
    return list(json.loads(capsys.readouterr().out)["runs"])


def test_paper_run_once_moves_cash_between_venues_and_ends_filled(
    paper_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--config", str(paper_config), "--once"]) == 0

    (run,) = runs_json(paper_config, capsys)
    assert run["status"] == "FILLED"
    assert run["trigger"] == "drift"
    assert main(["runs", "show", str(run["id"]), "--config", str(paper_config), "--json"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert "ETH" in history["trigger_reason"]
    (transfer,) = history["transfers"]
    assert (transfer["from"], transfer["to"], transfer["state"]) == ("okx", "binance", "ARRIVED")
    assert history["orders"]
    assert all(order["state"] == "FILLED" for order in history["orders"])
    assert any(o["symbol"] == "ETH/USDT" and o["side"] == "buy" for o in history["orders"])
    assert history["rounds"][0]["plan"]["transfers"][0]["from"] == "okx"


def test_run_once_against_a_separate_simulator_ends_inside_the_bands(
    external_config: Path, thread_sim: ThreadSim, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not inside_bands(thread_sim.weights())

    assert main(["run", "--config", str(external_config), "--once"]) == 0

    assert inside_bands(thread_sim.weights())
    (run,) = runs_json(external_config, capsys)
    assert run["status"] == "FILLED"
    sent = thread_sim.orders()
    ids = [order["client_order_id"] for order in sent]
    assert len(ids) == len(set(ids))  # no order was sent twice

    assert main(["run", "--config", str(external_config), "--once"]) == 0  # nothing to do now

    assert len(runs_json(external_config, capsys)) == 1
    assert len(thread_sim.orders()) == len(sent)


def test_runs_show_tells_what_triggered_the_run_its_plan_orders_and_transfer(
    paper_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--config", str(paper_config), "--once"]) == 0
    (run,) = runs_json(paper_config, capsys)

    assert main(["runs", "show", str(run["id"]), "--config", str(paper_config)]) == 0

    text = capsys.readouterr().out
    assert f"run {run['id']}: portfolio core, full, FILLED" in text
    assert "triggered by drift: drift: ETH at 0%" in text
    assert "transfer" in text
    assert "okx -> binance" in text
    assert "buy" in text
    assert "ETH/USDT" in text


def test_runs_show_of_an_unknown_run_fails_with_a_message(
    paper_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade", "--config", str(paper_config)]) == 0
    assert main(["runs", "show", "nosuchrun", "--config", str(paper_config)]) == 2
    assert "no run nosuchrun" in capsys.readouterr().err


def test_runs_lists_nothing_before_the_first_run(
    paper_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["runs", "--config", str(paper_config)]) == 1  # and creates no database
    assert "no database at" in capsys.readouterr().err
    assert main(["db", "upgrade", "--config", str(paper_config)]) == 0
    assert main(["runs", "--config", str(paper_config)]) == 0
    assert "no runs yet" in capsys.readouterr().out


def test_a_venue_that_cannot_be_reconciled_is_not_traded(
    external_config: Path, thread_sim: ThreadSim, capsys: pytest.CaptureFixture[str]
) -> None:
    refused = {"code": "50113", "msg": "Invalid Sign", "data": []}
    thread_sim.call(
        thread_sim.server.control.inject_fault,
        {
            "venue": "okx",
            "path": "/api/v5/trade/orders-pending",
            "status": 401,
            "body": refused,
            "count": 1000,
        },
    )

    assert main(["run", "--config", str(external_config), "--once"]) == 1

    assert "okx is not reconciled and will not be traded" in capsys.readouterr().err
    assert runs_json(external_config, capsys) == []
    assert thread_sim.orders() == []

    thread_sim.call(thread_sim.server.control.clear_faults)
    assert main(["run", "--config", str(external_config), "--once"]) == 0
    (run,) = runs_json(external_config, capsys)
    assert run["status"] == "FILLED"


def test_run_once_force_rebalances_a_portfolio_inside_its_bands_by_hand(
    external_config: Path, thread_sim: ThreadSim, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--config", str(external_config), "--once"]) == 0
    assert inside_bands(thread_sim.weights())

    assert main(["run", "--config", str(external_config), "--once", "--force"]) == 0

    manual, first = runs_json(external_config, capsys)
    assert first["trigger"] == "drift"
    assert manual["trigger"] == "manual"
    assert str(manual["status"]) in {"FILLED", "PARTIALLY_FILLED"}


def test_force_without_once_is_a_usage_error(
    paper_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--config", str(paper_config), "--force"]) == 2
    assert "--force needs --once" in capsys.readouterr().err


async def _leave_a_transfer_in_flight(state_dir: Path) -> str:
    """What a daemon killed mid-transfer leaves behind: a submitted withdrawal, a run open."""
    store = await open_store(sqlite_url(state_dir))
    try:
        run = await store.create_run("core", RunType.FULL, Trigger.DRIFT)
        now = datetime.now(UTC)
        transfer = TransferRecord(
            id=f"rb{run.id}t1",
            run_id=run.id,
            node_id="t1",
            asset="USDT",
            network="TRC20",
            source="okx",
            destination="binance",
            amount=Decimal(30000),
            state=TransferState.SUBMITTED,
            created_at=now,
            updated_at=now,
            withdrawal_id="w-of-an-earlier-simulator",
        )
        await store.record_transfer(transfer)
        return transfer.id
    finally:
        await store.close()


async def _transfer(state_dir: Path, transfer_id: str) -> TransferRecord | None:
    store = await open_store(sqlite_url(state_dir))
    try:
        return await store.get_transfer(transfer_id)
    finally:
        await store.close()


def test_paper_mode_forgets_transfers_the_restarted_simulator_never_saw(
    paper_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    stale = asyncio.run(_leave_a_transfer_in_flight(state))

    assert main(["run", "--config", str(paper_config), "--once"]) == 0

    forgotten = asyncio.run(_transfer(state, stale))
    assert forgotten is not None
    assert forgotten.state is TransferState.FAILED
    runs = runs_json(paper_config, capsys)
    assert [r["status"] for r in runs] == ["FILLED", "FAILED"]  # newest first
    assert main(["runs", "show", str(runs[0]["id"]), "--config", str(paper_config), "--json"]) == 0
    reason = json.loads(capsys.readouterr().out)["trigger_reason"]
    assert "USDT at 62" in reason  # valued without the phantom 30,000 USDT in transit


def toml_value(value: object) -> str:
    """A JSON value as an inline TOML value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    assert isinstance(value, dict)
    return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"


def test_a_venue_given_by_urls_options_and_env_keys_trades_like_one_given_by_connection(
    external_config: Path,
    thread_sim: ThreadSim,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    entry = thread_sim.server.connection()["venues"]["binance"]
    text = external_config.read_text()
    connection = external_config.parent / "connection.json"
    by_connection = f'[venues.binance]\nexchange = "binance"\nsim_connection = "{connection}"\n'
    assert by_connection in text
    by_urls = (
        '[venues.binance]\nexchange = "binance"\n'
        f"urls = {toml_value(entry['urls'])}\noptions = {toml_value(entry['options'])}\n"
    )
    external_config.write_text(text.replace(by_connection, by_urls))
    monkeypatch.setenv("REBALANCER_VENUES__BINANCE__API_KEY", entry["apiKey"])
    monkeypatch.setenv("REBALANCER_VENUES__BINANCE__SECRET", entry["secret"])

    assert main(["run", "--config", str(external_config), "--once"]) == 0

    (run,) = runs_json(external_config, capsys)
    assert run["status"] == "FILLED"
    assert any(order["venue"] == "binance" for order in thread_sim.orders())
    assert inside_bands(thread_sim.weights())
