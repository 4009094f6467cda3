"""Helpers for the fault-injection and crash tests, on top of ``harness``.

- ``TRADES_ONLY``: balances for the two-venue world that the daemon rebalances with orders on
  binance alone (no transfer), so an order fault is the only thing a run waits on;
  ``OKX_SELLS``: the same with a sell on the OKX-protocol venue.
- ``start_sim``: the harness simulator with extra TOML appended (a thin book, slow networks).
- ``inject`` / ``fired`` / ``disarm``: arm a fault on the control plane, see whether it went
  off, end it.
- ``runs`` / ``run_detail`` / ``stored``: what the daemon recorded, through ``rebalancer runs``
  and through ``rebalancer.persistence`` (orders, transfers, the breaker).
- ``assert_each_order_once``: the simulator's order log holds every client id once, and only
  ids the daemon committed as intents first.

Every wait has a deadline (``harness.wait_for``).
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rebalancer.domain.records import BreakerRecord, OrderRecord, TransferRecord
from rebalancer.persistence import open_store, sqlite_url
from rebalancer.services.run_history import run_transfers

from .harness import Control, SimProcess, cli, write_sim_config

# 0.3 BTC (18000) and 12000 USDT on binance, 6000 USDT on okx: BTC is above its band, ETH at
# zero; selling some BTC and buying ETH on binance brings every weight inside its band.
TRADES_ONLY = {"binance": {"BTC": "0.3", "USDT": "12000"}, "okx": {"USDT": "6000"}}
ORDER_PATH = "/api/v3/order"  # binance's order endpoint (POST creates, GET looks up)
# BTC held on okx (50 %, above its band) and ETH short on binance: a BTC sell on okx (the OKX
# protocol; ccxt places OKX orders through batch-orders) and an ETH buy on binance.
OKX_SELLS = {"binance": {"ETH": "4", "USDT": "3000"}, "okx": {"BTC": "0.3", "USDT": "3000"}}
OKX_ORDER_PATH = "/api/v5/trade/batch-orders"
# ccxt signs binance requests with recvWindow = 10 s; a request the simulator holds longer is
# refused with -1021 when it reaches the engine, as Binance refuses a late request.
LATE_MS = 11_000


def start_sim(tmp_path: Path, name: str, extra_toml: str = "", **options: Any) -> SimProcess:
    """Start the harness simulator with ``extra_toml`` appended to its config."""
    config = write_sim_config(tmp_path / f"{name}.toml", **options)
    if extra_toml:
        config.write_text(config.read_text(encoding="utf-8") + extra_toml, encoding="utf-8")
    return SimProcess(config, tmp_path / f"{name}-connection.json").start()


def post(control: Control, path: str, body: dict[str, Any]) -> Any:
    """POST JSON to a control endpoint and parse the reply."""
    request = urllib.request.Request(
        f"{control.url}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        text = reply.read()
    return json.loads(text) if text else None


def inject(control: Control, **fault: Any) -> None:
    """Arm one fault (``venue``, ``path``, ``method``, ``status``, ``body``, ``delay_ms``...)."""
    post(control, "/faults", fault)


def disarm(control: Control, venue: str) -> None:
    """Disarm every fault of ``venue``."""
    request = urllib.request.Request(f"{control.url}/faults?venue={venue}", method="DELETE")
    with urllib.request.urlopen(request, timeout=10):
        pass


def fired(control: Control, path: str) -> int:
    """How many times the faults on ``path`` went off so far."""
    listed = control.get("/faults")
    faults = listed["faults"] if isinstance(listed, dict) else listed
    return sum(int(f["fired"]) for f in faults if f["path"] == path)


def runs(config: Path) -> list[dict[str, Any]]:
    """``rebalancer runs --json``: newest first."""
    done = cli("runs", "--config", str(config), "--json")
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout)["runs"])


def run_detail(config: Path, run_id: str) -> dict[str, Any]:
    """``rebalancer runs show RUN --json``."""
    done = cli("runs", "show", run_id, "--config", str(config), "--json")
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def ended_run(config: Path, *statuses: str) -> dict[str, Any] | None:
    """The newest run in one of ``statuses`` (None while there is none)."""
    return next((r for r in runs(config) if r["status"] in statuses), None)


@dataclass(frozen=True)
class Stored:
    """What the daemon's database holds after the fact."""

    orders: list[OrderRecord]
    transfers: list[TransferRecord]
    breaker: BreakerRecord | None


def stored(state_dir: Path) -> Stored:
    """Read every run's orders and transfers and the breaker from the daemon's SQLite file."""
    return asyncio.run(_read(state_dir))


async def _read(state_dir: Path) -> Stored:
    store = await open_store(sqlite_url(state_dir))
    try:
        orders: list[OrderRecord] = []
        transfers: list[TransferRecord] = []
        for run in await store.list_runs(limit=100):
            orders += await store.orders_for_run(run.id)
            transfers += await run_transfers(store, run)
        return Stored(orders, transfers, await store.get_breaker())
    finally:
        await store.close()


def assert_each_order_once(log: Sequence[dict[str, Any]], orders: Sequence[OrderRecord]) -> None:
    """Every client id on the venue once; each one an intent the daemon committed first."""
    counts = Counter(order["client_order_id"] for order in log)
    repeated = [cid for cid, n in counts.items() if n != 1]
    assert not repeated, f"sent more than once: {repeated}"
    unknown = set(counts) - {o.client_order_id for o in orders}
    assert not unknown, f"on the venue but never committed as an intent: {unknown}"
    for order in orders:
        if order.exchange_order_id is not None:
            assert counts[order.client_order_id] == 1, order
