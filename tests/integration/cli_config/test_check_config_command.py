"""``rebalancer check-config`` and ``config-schema`` run as real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "config" / "example.toml"
MINIMAL = REPO / "config" / "minimal.toml"
SECRET = "s3cr3t-DO-NOT-PRINT"


def rebalancer(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console script with a clean environment plus ``env``."""
    base = {k: v for k, v in os.environ.items() if not k.upper().startswith("REBALANCER_")}
    return subprocess.run(
        [str(Path(sys.executable).parent / "rebalancer"), *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=60,
        check=False,
    )


def broken_config(tmp_path: Path) -> Path:
    text = MINIMAL.read_text(encoding="utf-8")
    text = text.replace('SOL = "10"', 'SOL = "5"').replace('day = "1"', 'day = "Monday"')
    text = text.replace('exchange = "okx"', 'exchange = "okx"\nsecrte = "x"')
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_config_prints_its_summary_and_exits_0() -> None:
    result = rebalancer("check-config", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{EXAMPLE}: valid"
    assert "  targets: BTC 40%, ETH 30%, SOL 10%, USDT 20% (cash)" in lines
    assert "  drift band: absolute, ±5 points; SOL ±8 points" in lines
    assert "  calendar: on day 1 of every month, 00:00 UTC" in lines
    assert (
        "  rebalance to: the band edge (least turnover), 20% of the half-band inside; "
        "cooldown: 2 days"
    ) in lines
    assert "  USDT over TRC20: binance -> okx, fee 1 USDT, min 10 USDT, about 5 min" in lines
    assert "  BTC over BTC: okx -> binance, fee 0.0002 BTC, min 0.001 BTC, about 30 min" in lines
    assert result.stderr == ""


def test_every_problem_is_printed_one_per_line_with_exit_2(tmp_path: Path) -> None:
    path = broken_config(tmp_path)
    result = rebalancer("check-config", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"{path}: portfolios.core.calendar.day: expected a day of the month 1..31 for every = "
        '"monthly", got "Monday"',
        f"{path}: portfolios.core.weights: must sum to exactly 100, got 95",
        f"{path}: venues.okx.secrte: unknown key (did you mean secret?)",
        "3 problems found",
    ]
    assert result.stdout == ""


def test_a_missing_file_exits_2_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    result = rebalancer("check-config", str(path))
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == f"{path}: file: does not exist"
    assert "Traceback" not in result.stderr


def test_a_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "syntax.toml"
    path.write_text('[portfolios.core]\nquote = USDT\nvenues = ["okx"]\n', encoding="utf-8")
    result = rebalancer("check-config", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith(f"{path}: line 2: is not valid TOML: ")
    assert "Traceback" not in result.stderr


def test_the_config_may_be_named_by_rebalancer_config() -> None:
    result = rebalancer("check-config", env={"REBALANCER_CONFIG": str(MINIMAL)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{MINIMAL}: valid")


def test_secrets_from_the_environment_are_used_but_never_printed(tmp_path: Path) -> None:
    env = {
        "REBALANCER_VENUES__BINANCE__API_KEY": SECRET,
        "REBALANCER_VENUES__BINANCE__SECRET": SECRET,
    }
    good = rebalancer("check-config", str(EXAMPLE), env=env)
    assert good.returncode == 0, good.stderr
    assert "  binance: ccxt binance, credentials set" in good.stdout.splitlines()
    bad = rebalancer(
        "check-config",
        str(broken_config(tmp_path)),
        env={
            **env,
            "REBALANCER_VENUES__OKX__PASSWORD": SECRET,
            "REBALANCER_VENUES__OKX__UID": SECRET,
        },
    )
    assert bad.returncode == 2
    assert "environment: venues.okx.uid: unknown key" in bad.stderr
    assert SECRET not in good.stdout + good.stderr + bad.stdout + bad.stderr


def test_config_schema_prints_a_json_schema_of_the_file() -> None:
    result = rebalancer("config-schema")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"portfolios", "venues"}
    assert "PortfolioConfig" in schema["$defs"]


def test_a_snapshot_the_config_fits_is_confirmed() -> None:
    snapshot = REPO / "config" / "example-snapshot.json"
    result = rebalancer("check-config", str(EXAMPLE), "--snapshot", str(snapshot))
    assert result.returncode == 0, result.stderr
    last = result.stdout.splitlines()[-1]
    assert last == f"every portfolio can be traded on the venues in {snapshot}"


def test_an_asset_the_snapshot_does_not_list_is_a_problem(tmp_path: Path) -> None:
    document = json.loads((REPO / "config" / "example-snapshot.json").read_text("utf-8"))
    document["venues"]["okx"]["markets"].pop("SOL/USDT")
    snapshot = tmp_path / "no-sol.json"
    snapshot.write_text(json.dumps(document), encoding="utf-8")
    result = rebalancer("check-config", str(EXAMPLE), "--snapshot", str(snapshot))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{EXAMPLE}: portfolios.core.weights.SOL: no venue of the portfolio lists SOL/USDT "
        "(venues in snapshot: binance, okx)",
        "1 problem found",
    ]


def test_a_malformed_snapshot_is_named(tmp_path: Path) -> None:
    snapshot = tmp_path / "bad.json"
    snapshot.write_text('{"version": 1}', encoding="utf-8")
    result = rebalancer("check-config", str(EXAMPLE), "--snapshot", str(snapshot))
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == f"{snapshot}: snapshot: taken_at: missing"
    assert "Traceback" not in result.stderr
