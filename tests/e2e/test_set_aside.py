"""Cash raised for a withdrawal stays out of the portfolio until it leaves, end to end: the
daemon and the simulator as subprocesses, ``rebalancer request`` and ``set-aside`` from a shell.

The portfolio starts on target (BTC 40 %, ETH 40 %, USDT 20 % of 30,000 USDT) with 1,500 USDT
kept on each venue as a reserve, so a withdraw of 5,000 at binance must sell. Counted as cash,
those 5,000 would leave the portfolio over its cash band and a full run would buy the positions
back; set aside, they are outside the portfolio: no run buys, through a kill -9 and a restart,
until the simulator's control plane takes the 5,000 off binance (a person withdrawing it, in
two parts), which pays the set-aside down and releases it, with events, and starts no run.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rebalancer.domain.records import EventRecord
from rebalancer.persistence import open_store, sqlite_url

from .conftest import DaemonFactory
from .faults_harness import post, start_sim
from .harness import DaemonProcess, SimProcess, cli, wait_for
from .test_requests import ON_TARGET, all_runs, daemon_config, ended, request, start_daemon

pytestmark = pytest.mark.slow

RESERVES = '[portfolios.core.cash_reserve]\nbinance = "1500"\nokx = "1500"'
CHECKS_AFTER = 3  # checks the daemon makes after the cash left, none of which may start a run
CHECK_S = 60  # generous: a loaded machine; a check takes well under a second on an idle one


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimProcess]:
    started = start_sim(tmp_path, "sim", balances=ON_TARGET)
    yield started
    started.stop()


def events(state: Path) -> list[EventRecord]:
    """The daemon's event log, oldest first (read directly from its SQLite file)."""

    async def read() -> list[EventRecord]:
        store = await open_store(sqlite_url(state))
        try:
            return list(await store.events(limit=1000))
        finally:
            await store.close()

    return asyncio.run(read())


def named(state: Path, name: str) -> list[dict[str, Any]]:
    return [dict(e.payload) for e in events(state) if e.kind == name]


def set_asides(config: Path, *options: str) -> list[dict[str, Any]]:
    done = cli("set-aside", "core", "--json", *options, "--config", str(config))
    assert done.returncode == 0, done.stderr
    listed: list[dict[str, Any]] = json.loads(done.stdout)
    return listed


def checks(daemon: DaemonProcess) -> int:
    """How many checks of the portfolio the daemon finished without a run (idle lines)."""
    return daemon.log().count("core: idle")


def test_a_withdrawal_is_set_aside_until_the_cash_leaves_and_nothing_buys_it_back(
    tmp_path: Path, sim: SimProcess, daemon_factory: DaemonFactory
) -> None:
    config = daemon_config(tmp_path, sim, extra=RESERVES)
    state = tmp_path / "state"
    daemon = start_daemon(daemon_factory, config)

    withdraw = ended(
        config, request(config, "--type", "withdraw", "--amount", "5000", "--venue", "binance")
    )
    assert withdraw["status"] == "FILLED", withdraw
    (held,) = set_asides(config)
    assert (held["venue"], held["asset"], Decimal(held["amount"])) == ("binance", "USDT", 5000)
    assert held["run_id"] == withdraw["id"]
    (recorded,) = named(state, "SetAsideRecorded")
    assert recorded["set_aside_id"] == held["id"]

    full = ended(config, request(config, "--type", "full"))

    assert full["status"] == "FILLED", full
    sides = [order["side"] for order in sim.control.orders()]
    assert "sell" in sides  # the withdrawal sold
    assert "buy" not in sides  # and nothing bought it back, the forced full run included
    assert sim.control.balances("binance")["USDT"] >= Decimal("6500")  # raised and reserve

    daemon.signal(signal.SIGKILL)
    daemon.wait(timeout_s=30)
    restarted = start_daemon(daemon_factory, config)
    assert [s["id"] for s in set_asides(config)] == [held["id"]]  # kept across the crash
    wait_for("a check after the restart", lambda: checks(restarted) >= 1, timeout_s=CHECK_S)
    runs_before = [run.id for run in all_runs(config)]

    post(sim.control, "/debits", {"venue": "binance", "asset": "USDT", "amount": "2000"})
    (part,) = wait_for(
        "part of it paid out",
        lambda: named(state, "SetAsideReduced"),
        timeout_s=CHECK_S,
        every_s=0.2,
    )
    assert (Decimal(part["paid"]), Decimal(part["left"])) == (2000, 3000)
    post(sim.control, "/debits", {"venue": "binance", "asset": "USDT", "amount": "3000"})

    released = wait_for(
        "the set-aside released",
        lambda: named(state, "SetAsideReleased"),
        timeout_s=CHECK_S,
        every_s=0.2,
    )
    ((event),) = released
    assert (event["set_aside_id"], event["cause"], event["by"]) == (
        held["id"],
        "withdrawn",
        "daemon",
    )
    assert set_asides(config) == []
    (gone,) = set_asides(config, "--all")
    assert (gone["active"], gone["release_cause"]) == (False, "withdrawn")
    seen = checks(restarted)
    wait_for(
        "more checks after the release",
        lambda: checks(restarted) >= seen + CHECKS_AFTER,
        timeout_s=CHECK_S,
    )
    assert [run.id for run in all_runs(config)] == runs_before  # the fall started no run
    assert "buy" not in [order["side"] for order in sim.control.orders()]


def test_a_person_releases_a_set_aside_and_the_cash_counts_again(
    tmp_path: Path, sim: SimProcess, daemon_factory: DaemonFactory
) -> None:
    config = daemon_config(tmp_path, sim, extra=RESERVES)
    state = tmp_path / "state"
    start_daemon(daemon_factory, config)
    ended(config, request(config, "--type", "withdraw", "--amount", "5000", "--venue", "binance"))
    (held,) = set_asides(config)

    done = cli(
        "set-aside",
        "core",
        "--release",
        held["id"],
        "--reason",
        "paid from the bank",
        "--by",
        "alice",
        "--config",
        str(config),
    )
    again = cli("set-aside", "core", "--release", held["id"], "--config", str(config))

    assert done.returncode == 0, done.stderr
    assert f"set-aside {held['id']} released" in done.stdout
    assert again.returncode == 1
    assert "no longer held" in again.stderr
    (event,) = named(state, "SetAsideReleased")
    assert (event["cause"], event["by"], event["reason"]) == (
        "released",
        "alice",
        "paid from the bank",
    )
    # counted again, the 5,000 put cash over its band: the daemon buys with it
    wait_for(
        "a buy with the released cash",
        lambda: "buy" in [order["side"] for order in sim.control.orders()],
        timeout_s=CHECK_S,
    )
