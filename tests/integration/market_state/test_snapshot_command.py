"""``rebalancer snapshot`` as a real process against the simulator, output read by the codec."""

from __future__ import annotations

import asyncio
import json
import sys
from decimal import Decimal
from pathlib import Path

from tests.integration.venues.conftest import GatewayFactory

from rebalancer.codecs.snapshot_json import parse_snapshot
from rebalancer.domain.transfers import WithdrawRequest
from rebalancer.exchange_sim.server import SimulatorServer

CONFIG = """
[portfolios.core]
quote = "USDT"
venues = ["binance", "okx"]
rebalance_to = "band_edge"
cooldown_days = 2

[portfolios.core.weights]
BTC = "40"
ETH = "30"
USDT = "30"

[portfolios.core.drift_band]
type = "absolute"
percent = "5"

[venues.binance]
exchange = "binance"
sim_connection = "{connection}"

[venues.okx]
exchange = "okx"
sim_connection = "{connection}"

[[routes]]
asset = "USDT"
network = "TRC20"
from = "binance"
to = "okx"
fee = "1"
min_amount = "10"
eta_s = 300
"""


async def run_snapshot(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("rebalancer")),
        "snapshot",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def write_config(tmp_path: Path, sim: SimulatorServer) -> Path:
    connection = tmp_path / "connection.json"
    connection.write_text(json.dumps(sim.connection()))
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(connection=connection))
    return config


async def test_snapshot_prints_what_plan_reads_with_transfers_in_transit(
    tmp_path: Path, sim: SimulatorServer, make_gateway: GatewayFactory
) -> None:
    sender = await make_gateway("binance")
    receiver = await make_gateway("okx")
    address = await receiver.fetch_deposit_address("USDT", "TRC20")
    await sender.withdraw(WithdrawRequest("USDT", "TRC20", Decimal(250), address.address))

    status, out, err = await run_snapshot(
        "--config", str(write_config(tmp_path, sim)), "--portfolio", "core"
    )

    assert status == 0, err
    snapshot = parse_snapshot(out)
    assert set(snapshot.venues) == {"binance", "okx"}
    binance = snapshot.venue("binance")
    assert binance.balances["USDT"] == Decimal("499750")
    assert set(binance.markets) == {"BTC/USDT", "ETH/USDT"}
    assert binance.markets["BTC/USDT"].rules.min_notional == Decimal(5)
    assert snapshot.venue("okx").markets["BTC/USDT"].quote.bid < Decimal(60000)
    assert [(r.source, r.destination) for r in snapshot.routes] == [("binance", "okx")]
    (moving,) = snapshot.in_transit
    assert (moving.asset, moving.source, moving.destination, moving.amount) == (
        "USDT",
        "binance",
        "okx",
        Decimal(249),
    )


async def test_a_venue_that_does_not_answer_fails_with_the_reason(
    tmp_path: Path, sim: SimulatorServer
) -> None:
    config = write_config(tmp_path, sim)
    sim.control.inject_fault(
        {"venue": "okx", "path": "/api/v5/account/balance", "status": 503, "count": 100}
    )
    status, out, err = await run_snapshot("--config", str(config))
    assert status == 1
    assert out == ""
    assert "okx" in err
    assert "no balances yet" in err


async def test_an_unknown_portfolio_is_a_usage_error(tmp_path: Path, sim: SimulatorServer) -> None:
    status, _, err = await run_snapshot(
        "--config", str(write_config(tmp_path, sim)), "--portfolio", "nope"
    )
    assert status == 2
    assert "nope" in err
