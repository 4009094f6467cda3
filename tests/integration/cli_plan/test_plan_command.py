"""``rebalancer plan`` run as a real subprocess against the example config and snapshot."""

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "config" / "example.toml"
SNAPSHOT = ROOT / "config" / "example-snapshot.json"
HEAVY = ("ccxt", "sqlalchemy", "aiohttp", "alembic", "aiosqlite", "asyncpg", "apscheduler")
PLAN_KEYS = [
    "version",
    "portfolio",
    "run_type",
    "orders",
    "transfers",
    "estimated_cost",
    "weights_before",
    "weights_after",
    "residuals",
]


def rebalancer(*args: str | Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from rebalancer.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},  # no REBALANCER_* overrides from the caller
    )


def plan(
    *extra: str | Path, snapshot: Path = SNAPSHOT, config: Path = CONFIG
) -> subprocess.CompletedProcess[str]:
    return rebalancer(
        "plan", "--config", config, "--portfolio", "core", "--snapshot", snapshot, *extra
    )


def example_snapshot() -> dict[str, Any]:
    return json.loads(SNAPSHOT.read_text())


def write_json(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture(scope="module")
def json_output() -> str:
    result = plan("--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


@pytest.fixture(scope="module")
def json_plan(json_output: str) -> dict[str, Any]:
    return json.loads(json_output)


def test_json_plan_follows_the_contract(json_plan: dict[str, Any]) -> None:
    assert list(json_plan) == PLAN_KEYS
    assert (json_plan["version"], json_plan["portfolio"], json_plan["run_type"]) == (
        1,
        "core",
        "full",
    )
    for order in json_plan["orders"]:
        assert list(order) == ["id", "venue", "symbol", "side", "amount", "price", "depends_on"]
        assert isinstance(order["amount"], str)
        assert isinstance(order["price"], str)
    for transfer in json_plan["transfers"]:
        keys = ["id", "asset", "network", "from", "to", "amount", "depends_on"]
        assert list(transfer)[:7] == keys
        assert set(list(transfer)[7:]) <= {"purpose"}  # a field added after the contract
    assert isinstance(json_plan["estimated_cost"], str)
    assert Decimal(json_plan["estimated_cost"]) > 0
    for weights in (json_plan["weights_before"], json_plan["weights_after"]):
        assert list(weights) == sorted(weights)
        assert all(len(value.split(".")[1]) == 2 for value in weights.values())


def test_drifted_example_sells_the_overweight_and_buys_the_underweight(
    json_plan: dict[str, Any],
) -> None:
    sides = {(order["symbol"], order["side"]) for order in json_plan["orders"]}
    assert ("BTC/USDT", "sell") in sides
    assert ("SOL/USDT", "buy") in sides
    before, after = json_plan["weights_before"], json_plan["weights_after"]
    assert Decimal(before["BTC"]) > 45
    assert Decimal(after["BTC"]) <= 45
    assert Decimal(after["SOL"]) >= 2


def test_order_amounts_sit_on_the_market_step_and_prices_cross_the_spread(
    json_plan: dict[str, Any],
) -> None:
    venues = example_snapshot()["venues"]
    for order in json_plan["orders"]:
        market = venues[order["venue"]]["markets"][order["symbol"]]
        amount = Decimal(order["amount"])
        assert amount > 0
        assert amount % Decimal(market["amount_step"]) == 0
        expected = market["ask"] if order["side"] == "buy" else market["bid"]
        assert Decimal(order["price"]) == Decimal(expected)


def test_every_dependency_names_a_node_of_the_plan(json_plan: dict[str, Any]) -> None:
    ids = {node["id"] for node in json_plan["orders"] + json_plan["transfers"]}
    assert len(ids) == len(json_plan["orders"]) + len(json_plan["transfers"])
    for node in json_plan["orders"] + json_plan["transfers"]:
        assert set(node["depends_on"]) <= ids - {node["id"]}


def test_same_inputs_print_the_same_bytes(json_output: str) -> None:
    # A fresh process has a different hash seed: set or dict order leaking out would show here.
    again = plan("--json")
    assert again.returncode == 0, again.stderr
    assert again.stdout == json_output


def test_table_shows_weights_bands_orders_and_cost() -> None:
    result = plan()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Plan for portfolio 'core' (full)" in out
    assert "35.00% .. 45.00%" in out  # BTC's band
    assert "2.00% .. 18.00%" in out  # SOL's per-asset band
    assert "outside band" in out
    assert "Orders (" in out
    assert "BTC/USDT" in out
    assert "Estimated cost:" in out
    assert "USDT" in out


def test_withdraw_raises_the_requested_cash() -> None:
    result = plan("--json", "--type", "withdraw", "--amount", "5000")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["run_type"] == "withdraw"
    assert "sell" in {order["side"] for order in doc["orders"]}
    cash_before = Decimal(doc["weights_before"]["USDT"])
    assert Decimal(doc["weights_after"]["USDT"]) > cash_before


def test_liquidate_only_sells() -> None:
    result = plan("--json", "--type", "liquidate")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["orders"]
    assert {order["side"] for order in doc["orders"]} == {"sell"}


def assert_usage_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr


def test_withdraw_without_amount_is_a_usage_error() -> None:
    assert_usage_error(plan("--type", "withdraw"), "--amount: required for --type withdraw")


def test_non_positive_or_garbage_amount_is_a_usage_error() -> None:
    assert_usage_error(plan("--type", "withdraw", "--amount", "-5"), "--amount: must be positive")
    assert_usage_error(plan("--type", "withdraw", "--amount", "lots"), "--amount")


def test_malformed_snapshot_names_the_field(tmp_path: Path) -> None:
    doc = example_snapshot()
    doc["venues"]["binance"]["markets"]["BTC/USDT"]["bid"] = "99999"
    result = plan(snapshot=write_json(tmp_path / "bad.json", doc))
    assert_usage_error(result, "venues.binance.markets.BTC/USDT.bid", "above ask")


def test_snapshot_with_a_json_number_names_the_field(tmp_path: Path) -> None:
    doc = example_snapshot()
    doc["venues"]["okx"]["balances"]["SOL"] = 12
    result = plan(snapshot=write_json(tmp_path / "number.json", doc))
    assert_usage_error(result, "venues.okx.balances.SOL", "JSON number")


def test_missing_snapshot_file_is_named(tmp_path: Path) -> None:
    assert_usage_error(plan(snapshot=tmp_path / "nowhere.json"), "--snapshot", "nowhere.json")


def test_asset_without_a_market_is_named(tmp_path: Path) -> None:
    doc = example_snapshot()
    del doc["venues"]["okx"]["markets"]["SOL/USDT"]
    result = plan(snapshot=write_json(tmp_path / "no-sol.json", doc))
    assert_usage_error(result, "portfolios.core.weights.SOL", "SOL/USDT")


def test_unknown_portfolio_lists_the_known_ones() -> None:
    result = rebalancer("plan", "--config", CONFIG, "--portfolio", "nope", "--snapshot", SNAPSHOT)
    assert_usage_error(result, "--portfolio", "nope", "core")


def test_malformed_config_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    text = CONFIG.read_text().replace('BTC = "40"', 'BTC = "45"')
    config.write_text(text.replace('state_dir = "../state"', f'state_dir = "{tmp_path}"'))
    assert_usage_error(plan(config=config), "portfolios.core.weights")


def test_plan_imports_no_exchange_or_database_library() -> None:
    code = (
        "import sys, io, contextlib\n"
        "from rebalancer.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    status = main(sys.argv[1:])\n"
        f"heavy = {HEAVY!r}\n"
        "print(status, sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    args = ["plan", "--config", CONFIG, "--portfolio", "core", "--snapshot", SNAPSHOT, "--json"]
    result = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0 []"


def test_printed_plan_reads_back_as_the_same_plan(json_output: str) -> None:
    from rebalancer.codecs.plan_json import dump_plan, parse_plan

    assert dump_plan(parse_plan(json_output)) == json_output
