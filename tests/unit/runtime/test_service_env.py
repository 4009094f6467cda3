"""Under systemd the config's state_dir must be the StateDirectory the unit makes writable."""

from __future__ import annotations

from pathlib import Path

import pytest

from rebalancer.domain.errors import ConfigError
from rebalancer.runtime.service_env import check_state_directory
from rebalancer.settings import load_config

MINIMAL = Path(__file__).resolve().parents[3] / "config" / "minimal.toml"


def test_a_state_dir_outside_systemds_state_directory_is_refused_naming_the_key(
    tmp_path: Path,
) -> None:
    config = load_config(MINIMAL, env={"REBALANCER_DAEMON__STATE_DIR": str(tmp_path / "here")})
    with pytest.raises(ConfigError) as refused:
        check_state_directory(config, {"STATE_DIRECTORY": "/var/lib/rebalancer"})
    assert "daemon.state_dir: is " in str(refused.value)
    assert 'set state_dir = "/var/lib/rebalancer"' in str(refused.value)


def test_the_same_directory_or_no_systemd_passes(tmp_path: Path) -> None:
    config = load_config(MINIMAL, env={"REBALANCER_DAEMON__STATE_DIR": str(tmp_path / "lib")})
    check_state_directory(config, {"STATE_DIRECTORY": str(tmp_path / "lib")})
    check_state_directory(config, {})
