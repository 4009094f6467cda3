"""The per-order cap (``limits.max_order_notional``) stops an order in the daemon before it is sent.

The planner slices every order under the cap at the prices it planned with; the pre-trade gate
checks each order again at the price it is sent at. In the harness world the ETH buys wait for a
USDT transfer. While it is in transit the test lifts ETH's price 12 %, so each limit buy, placed
at the new touch, is now worth more than the cap: the gate must refuse it before its intent is
committed or anything reaches the venue.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import DaemonFactory
from .faults_harness import post, start_sim, stored
from .harness import SimProcess, wait_for, write_daemon_config

pytestmark = pytest.mark.slow

# BTC on target (40 %), ETH at 0, cash at 60 % of 60k: the plan moves ~21k USDT okx -> binance
# and buys ETH with it, nothing else
ETH_ONLY = {"binance": {"BTC": "0.4", "USDT": "100"}, "okx": {"USDT": "35900"}}
CAP = "1500"  # the ETH buy is planned as slices of just under 1,500 USDT at the ask of 3,000
LIFTED_ETH = "3360"  # +12 %: every slice is then ~1,680 USDT at the touch


def test_an_order_above_the_cap_at_its_price_is_refused_and_never_sent(
    tmp_path: Path, daemon_factory: DaemonFactory
) -> None:
    sim: SimProcess = start_sim(
        tmp_path, "sim", transfer_delay_s=600, balances=ETH_ONLY
    )  # completed by hand
    try:
        config = write_daemon_config(
            tmp_path / "daemon.toml",
            state_dir=tmp_path / "state",
            connection=sim.connection_file,
            max_order_notional=CAP,
        )
        text = config.read_text(encoding="utf-8")
        # one round of limit orders (one sent by mistake would rest 1 s before its fallback)
        one_limit_round = 'max_rounds = 1\norder_type = "limit"\nlimit_timeout_s = 1'
        config.write_text(text.replace("max_rounds = 3", one_limit_round), encoding="utf-8")

        daemon = daemon_factory(config, "--once").start()
        withdrawals = wait_for(
            "the withdrawal", lambda: sim.control.transfers()["withdrawals"], timeout_s=60
        )
        post(sim.control, "/prices", {"symbol": "ETH/USDT", "price": LIFTED_ETH})
        post(sim.control, f"/withdrawals/{withdrawals[0]['id']}/complete", {})
        daemon.wait(timeout_s=90)

        log = daemon.log()
        assert f"above max_order_notional {CAP}" in log, log
        assert "pre-trade gate: order notional" in log
        assert sim.control.orders() == []  # nothing reached the venue
        assert stored(tmp_path / "state").orders == []  # refused before any intent
    finally:
        sim.stop()
