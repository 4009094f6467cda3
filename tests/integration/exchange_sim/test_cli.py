"""``rebalancer exchange-sim`` as a real process: connection line, ccxt, SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

import ccxt.pro as ccxtpro
import pytest
from tests.integration.exchange_sim.conftest import deep_merge

# the installed console script's entry point, run with this interpreter
REBALANCER = (sys.executable, "-c", "import sys; from rebalancer.cli import main; sys.exit(main())")

CONFIG = """
[prices]
source = "static"
start = { "BTC/USDT" = "60000" }

[venues.main]
protocol = "binance"
markets = ["BTC/USDT"]

[[venues.main.accounts]]
api_key = "cli-key"
secret = "cli-secret"
balances = { USDT = "1000" }
"""


async def test_the_command_prints_a_connection_ccxt_can_use_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    config = tmp_path / "sim.toml"
    config.write_text(CONFIG)
    process = await asyncio.create_subprocess_exec(
        *REBALANCER,
        "exchange-sim",
        "--config",
        str(config),
        "--print-connection",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        info = json.loads(line)
        venue = info["venues"]["main"]
        assert (venue["exchange"], venue["apiKey"], venue["password"]) == (
            "binance",
            "cli-key",
            None,
        )
        assert info["control_url"].startswith("http://127.0.0.1:")
        exchange: Any = ccxtpro.binance({"apiKey": venue["apiKey"], "secret": venue["secret"]})
        deep_merge(exchange.urls, venue["urls"])
        deep_merge(exchange.options, venue["options"])
        try:
            balance = await exchange.fetch_balance()
        finally:
            await exchange.close()
        assert balance["USDT"]["free"] == 1000
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    assert b"stopped" in stderr


async def test_a_config_with_an_unknown_key_is_refused_naming_it(tmp_path: Path) -> None:
    config = tmp_path / "sim.toml"
    config.write_text(CONFIG + '\n[venues.main.book]\nspred_bps = "2"\n')
    process = await asyncio.create_subprocess_exec(
        *REBALANCER,
        "exchange-sim",
        "--config",
        str(config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2, stderr
    assert b"venues.main.book.spred_bps" in stderr


@pytest.mark.parametrize("name", ["exchange-sim.toml", "paper-sim.toml"])
def test_the_shipped_configs_are_valid(name: str) -> None:
    from rebalancer.exchange_sim.config import load_config

    path = Path(__file__).parents[3] / "config" / name
    if not path.exists():
        pytest.skip(f"{name} is not in this checkout")
    config = load_config(path)
    assert config.venues
