"""The daemon in this process: paper configs, an in-test simulator, the real CLI commands.

Commands run through ``rebalancer.cli.main`` (each makes its own event loop), so these tests
are plain functions; the simulator used by the external-simulator tests runs on a background
thread's event loop for the duration of a test.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.harness import write_daemon_config, write_sim_config

from rebalancer.exchange_sim.config import load_config as load_sim_config
from rebalancer.exchange_sim.server import SimulatorServer


@dataclass
class ThreadSim:
    """A simulator served from its own thread and event loop (the daemon owns the main one)."""

    server: SimulatorServer
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread

    def call(self, func: Any, *args: Any) -> Any:
        """Run ``func(*args)`` on the simulator's loop and return its result."""

        async def inside() -> Any:
            return func(*args)

        return asyncio.run_coroutine_threadsafe(inside(), self.loop).result(timeout=10)

    def orders(self) -> list[dict[str, Any]]:
        """The order log."""
        return list(self.call(self.server.control.order_log))

    def weights(self) -> dict[str, Decimal]:
        """Portfolio weights in percent over both venues at binance's mids."""
        state = self.call(self.server.control.state)
        mids = {s: Decimal(m) for s, m in state["venues"]["binance"]["mids"].items()}
        value: dict[str, Decimal] = {}
        for venue in state["venues"].values():
            (account,) = venue["accounts"].values()
            for asset, balance in account.items():
                price = Decimal(1) if asset == "USDT" else mids[f"{asset}/USDT"]
                value[asset] = value.get(asset, Decimal(0)) + Decimal(balance["free"]) * price
        whole = sum(value.values(), Decimal(0))
        return {asset: amount / whole * 100 for asset, amount in value.items()}


@pytest.fixture
def thread_sim(tmp_path: Path) -> Iterator[ThreadSim]:
    config = load_sim_config(write_sim_config(tmp_path / "sim.toml"))
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_forever()

    thread = threading.Thread(target=serve, name="simulator", daemon=True)
    thread.start()
    server = SimulatorServer(config)
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=30)
    ready.set()
    sim = ThreadSim(server, loop, thread)
    (tmp_path / "connection.json").write_text(json.dumps(server.connection()), encoding="utf-8")
    yield sim
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()


@pytest.fixture
def paper_config(tmp_path: Path) -> Path:
    """A paper config (simulated venues) with its simulator TOML beside it."""
    write_sim_config(tmp_path / "daemon-sim.toml")
    return write_daemon_config(tmp_path / "daemon.toml", state_dir=tmp_path / "state")


@pytest.fixture
def external_config(tmp_path: Path, thread_sim: ThreadSim) -> Path:
    """A config whose venues are on the in-test simulator through its connection JSON."""
    return write_daemon_config(
        tmp_path / "external.toml",
        state_dir=tmp_path / "state",
        connection=tmp_path / "connection.json",
    )


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """``rebalancer run`` replaces the root handlers; give pytest its own back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
