"""Each run type asked of the running daemon, end to end: the daemon and the simulator as
subprocesses, ``rebalancer request`` from a shell.

The portfolio starts on target (BTC 40 %, ETH 40 %, USDT 20 % of 30,000 USDT: 6,000 of cash,
so a withdraw of 9,000 pays 6,000 from cash and sells for the rest). A request of
each type reaches its end state within seconds, taken once, and the simulator's order log shows
the sides the type may trade: only sells for ``withdraw`` and ``liquidate``, only buys for
``invest_cash``. The withdrawal is called off before the others (its cash is set aside until it
leaves or a person releases it: ``test_set_aside.py``), so they have its cash to work with.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import DaemonFactory
from .faults_harness import assert_each_order_once, start_sim, stored
from .harness import SimProcess, cli
from .test_requests import ON_TARGET, daemon_config, ended, request, sides, start_daemon

pytestmark = pytest.mark.slow


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimProcess]:
    started = start_sim(tmp_path, "sim", balances=ON_TARGET)
    yield started
    started.stop()


def test_a_request_of_each_type_ends_within_seconds_trading_only_its_sides(
    tmp_path: Path, sim: SimProcess, daemon_factory: DaemonFactory
) -> None:
    config = daemon_config(tmp_path, sim)
    state = tmp_path / "state"
    daemon = start_daemon(daemon_factory, config)

    withdraw = ended(config, request(config, "--type", "withdraw", "--amount", "9000"))
    call_off_the_withdrawal(config)  # its cash is set aside until released: invest some
    invest = ended(config, request(config, "--type", "invest_cash", "--amount", "2000"))
    full = ended(config, request(config, "--type", "full"))
    liquidate = ended(config, request(config, "--type", "liquidate"))

    for run in (withdraw, invest, full, liquidate):
        assert (run["trigger"], run["status"]) == ("manual", "FILLED"), run
    assert sides(state, sim, withdraw["id"]) == {"sell"}
    assert sides(state, sim, invest["id"]) == {"buy"}
    assert sides(state, sim, liquidate["id"]) == {"sell"}
    assert_each_order_once(sim.control.orders(), stored(state).orders)
    taken = re.findall(r"taking request (\w+)", daemon.log())
    assert taken == [withdraw["id"], invest["id"], full["id"], liquidate["id"]]  # once each


def call_off_the_withdrawal(config: Path) -> None:
    """Release every set-aside of ``core`` (``rebalancer set-aside core --release ID``)."""
    listed = cli("set-aside", "core", "--json", "--config", str(config))
    assert listed.returncode == 0, listed.stderr
    for item in json.loads(listed.stdout):
        done = cli("set-aside", "core", "--release", item["id"], "--config", str(config))
        assert done.returncode == 0, done.stderr
