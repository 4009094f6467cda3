"""``rebalancer request``, ``pause`` and ``unpause`` from the command line, with no daemon
running: the request is checked against the venues read live, written, and the next ``run
--once`` carries it out.

The harness portfolio is worth about 48,100 USDT (0.3 BTC at 60,000, 30,100 USDT); selling
everything would raise 48,080 of it (fees).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rebalancer.cli import main

from .conftest import ThreadSim


def runs(config: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    """The runs ``rebalancer runs`` lists (none: not even a database was created)."""
    capsys.readouterr()
    if not (config.parent / "state" / "rebalancer.sqlite").exists():
        return []
    assert main(["runs", "--config", str(config), "--json"]) == 0
    return list(json.loads(capsys.readouterr().out)["runs"])


def nothing_written(config: Path, capsys: pytest.CaptureFixture[str]) -> bool:
    """No run was written: no database at all (`runs` creates none), or one without runs."""
    if not (config.parent / "state" / "rebalancer.sqlite").exists():
        return True
    return runs(config, capsys) == []


def request(config: Path, *args: str) -> int:
    return main(["request", *args, "--config", str(config), "--by", "alice"])


def test_a_request_prints_its_id_and_shows_as_a_new_run(
    external_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert request(external_config, "core", "--type", "withdraw", "--amount", "1000") == 0

    out = capsys.readouterr()
    run_id = out.out.strip()
    assert "requested withdraw 1000 of core as run" in out.err
    assert "valued from the venues just now" in out.err
    (run,) = runs(external_config, capsys)
    assert (run["id"], run["status"], run["trigger"]) == (run_id, "NEW", "manual")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--type", "full"], "no portfolio named 'nope' (known: core)"),
        (["core", "--type", "withdraw", "--amount", "-5"], "must be a positive amount of USDT"),
        (["core", "--type", "withdraw"], "a withdraw needs the amount of USDT to raise"),
        (["core", "--type", "withdraw", "--amount", "lots"], "--amount: expected a decimal"),
        (["core", "--type", "full", "--amount", "5"], "a full run takes no amount"),
        (["core"], "--type: required"),
        (
            ["core", "--type", "withdraw", "--amount", "1e9"],
            "is more than core can raise: at most 4808",
        ),
    ],
)
def test_a_refused_request_exits_2_naming_the_problem_and_writes_nothing(
    external_config: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    assert request(external_config, *args) == 2

    assert message in capsys.readouterr().err
    assert nothing_written(external_config, capsys)


def test_a_partial_withdraw_above_the_holdings_is_written(
    external_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = request(external_config, "core", "--type", "withdraw", "--amount", "1e9", "--partial")

    assert code == 0
    assert capsys.readouterr().out.strip()


def test_a_request_cancels_before_it_runs_and_only_once(
    external_config: Path, capsys: pytest.CaptureFixture[str], thread_sim: ThreadSim
) -> None:
    assert request(external_config, "core", "--type", "full") == 0
    run_id = capsys.readouterr().out.strip()

    assert main(["request", "--cancel", run_id, "--config", str(external_config)]) == 0
    assert "CANCELLED" in capsys.readouterr().out
    assert main(["request", "--cancel", run_id, "--config", str(external_config)]) == 1
    assert "has already ended: CANCELLED" in capsys.readouterr().err
    assert main(["request", "--cancel", "nosuch", "--config", str(external_config)]) == 2
    assert main(["request", "core", "--cancel", run_id, "--config", str(external_config)]) == 2

    assert main(["run", "--config", str(external_config), "--once"]) == 0
    statuses = {r["id"]: r["status"] for r in runs(external_config, capsys)}
    assert statuses[run_id] == "CANCELLED"  # the drift run is another one


def test_a_request_written_while_no_daemon_runs_is_carried_out_by_the_next_start(
    external_config: Path, capsys: pytest.CaptureFixture[str], thread_sim: ThreadSim
) -> None:
    assert request(external_config, "core", "--type", "full") == 0
    run_id = capsys.readouterr().out.strip()

    assert main(["run", "--config", str(external_config), "--once"]) == 0

    (run,) = runs(external_config, capsys)
    assert (run["id"], run["status"]) == (run_id, "FILLED")
    assert thread_sim.orders()


def test_a_paused_portfolio_trades_nothing_until_unpaused(
    external_config: Path, capsys: pytest.CaptureFixture[str], thread_sim: ThreadSim
) -> None:
    config = str(external_config)
    assert main(["pause", "core", "--reason", "audit", "--by", "alice", "--config", config]) == 0
    assert "portfolio core paused by alice: audit" in capsys.readouterr().out

    assert main(["run", "--config", config, "--once"]) == 0
    assert runs(external_config, capsys) == []
    assert thread_sim.orders() == []

    assert main(["unpause", "core", "--by", "bob", "--config", config]) == 0
    assert "portfolio core unpaused by bob" in capsys.readouterr().out
    assert main(["run", "--config", config, "--once"]) == 0
    (run,) = runs(external_config, capsys)
    assert run["status"] == "FILLED"


def test_pausing_needs_a_reason_and_a_known_portfolio(
    external_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pause", "core", "--config", str(external_config)]) == 2
    assert "reason: say why" in capsys.readouterr().err
    assert main(["pause", "nope", "--reason", "x", "--config", str(external_config)]) == 2
    assert "no portfolio named 'nope'" in capsys.readouterr().err
