"""``rebalancer db upgrade`` and ``db current``, run as the installed command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_upgrade_with_a_config_uses_the_state_dir_it_names(tmp_path: Path) -> None:
    config = tmp_path / "rebalancer.toml"
    shutil.copy(MINIMAL_CONFIG, config)
    with config.open("a") as file:
        file.write('\n[daemon]\nstate_dir = "state"\n')
    before = _rebalancer("db", "current", "--config", str(config))
    assert before.returncode == 1
    assert "rebalancer db upgrade" in before.stdout
    result = _rebalancer("db", "upgrade", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "state" / "rebalancer.sqlite").is_file()
    after = _rebalancer("db", "current", "--config", str(config))
    assert after.returncode == 0
    assert f"revision {head_revision()} (head)" in after.stdout


def test_a_missing_config_is_a_usage_error_naming_the_file(tmp_path: Path) -> None:
    result = _rebalancer("db", "upgrade", "--config", str(tmp_path / "absent.toml"))
    assert result.returncode == 2
    assert "absent.toml" in result.stderr


def test_an_unreachable_database_fails_without_showing_its_password() -> None:
    url = "postgresql+asyncpg://trader:hunter2@127.0.0.1:1/state"
    result = _rebalancer("db", "upgrade", "--url", url)
    assert result.returncode == 1
    assert "127.0.0.1:1" in result.stderr
    assert "hunter2" not in result.stdout + result.stderr
