"""``rebalancer db upgrade`` and ``db current``: as the installed command, and through main()."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rebalancer.cli import main
from rebalancer.persistence import open_store
from rebalancer.persistence.migrate import head_revision

MINIMAL_CONFIG = Path(__file__).parents[3] / "config" / "minimal.toml"


def _rebalancer(*args: str) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).with_name("rebalancer")
    if not command.exists():
        pytest.skip(f"the rebalancer command is not installed next to {sys.executable}")
    return subprocess.run(
        [str(command), *args], capture_output=True, text=True, timeout=60, check=False
    )


async def test_upgrade_migrates_an_empty_database_then_does_nothing(
    empty_database_url: str,
) -> None:
    first = _rebalancer("db", "upgrade", "--url", empty_database_url)
    assert first.returncode == 0, first.stderr
    assert f"upgraded from empty to revision {head_revision()} (head)" in first.stdout
    again = _rebalancer("db", "upgrade", "--url", empty_database_url)
    assert again.returncode == 0, again.stderr
    assert f"already at revision {head_revision()}" in again.stdout
    store = await open_store(empty_database_url)
    try:
        assert await store.list_runs() == []
    finally:
        await store.close()


def _in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run the command line in this process (main() rewrites sys.argv; monkeypatch restores it)."""
    monkeypatch.setattr(sys, "argv", ["rebalancer"])
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_upgrade_with_a_config_uses_the_state_dir_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "rebalancer.toml"
    shutil.copy(MINIMAL_CONFIG, config)
    with config.open("a") as file:
        file.write('\n[daemon]\nstate_dir = "state"\n')
    status, out, _ = _in_process(monkeypatch, capsys, "db", "current", "--config", str(config))
    assert status == 1
    assert "rebalancer db upgrade" in out
    status, _, err = _in_process(monkeypatch, capsys, "db", "upgrade", "--config", str(config))
    assert status == 0, err
    assert (tmp_path / "state" / "rebalancer.sqlite").is_file()
    status, out, _ = _in_process(monkeypatch, capsys, "db", "current", "--config", str(config))
    assert status == 0
    assert f"revision {head_revision()} (head)" in out


def test_a_missing_config_is_a_usage_error_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "absent.toml")
    status, _, err = _in_process(monkeypatch, capsys, "db", "upgrade", "--config", missing)
    assert status == 2
    assert "absent.toml" in err


def test_an_unreachable_database_fails_without_showing_its_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql+asyncpg://trader:hunter2@127.0.0.1:1/state"
    status, out, err = _in_process(monkeypatch, capsys, "db", "upgrade", "--url", url)
    assert status == 1
    assert "127.0.0.1:1" in err
    assert "hunter2" not in out + err
