"""What systemd tells the service about its places, checked against the config before start.

Under the shipped unit ``ProtectSystem=strict`` makes every path read-only except the
``StateDirectory=`` systemd names in ``$STATE_DIRECTORY``. A config whose ``state_dir`` is
elsewhere would fail later with an obscure "read-only file system" from SQLite; this check
says plainly which key to change. Outside systemd (no ``$STATE_DIRECTORY``) there is nothing
to check.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from rebalancer.domain.errors import ConfigError, Problem
from rebalancer.settings import AppConfig


def check_state_directory(config: AppConfig, env: Mapping[str, str] | None = None) -> None:
    """Raise ConfigError when ``[daemon] state_dir`` is not systemd's StateDirectory."""
    given = (os.environ if env is None else env).get("STATE_DIRECTORY", "")
    if not given:
        return
    allowed = [Path(part) for part in given.split(":") if part]
    state_dir = Path(config.daemon.state_dir)
    if any(state_dir.resolve() == place.resolve() for place in allowed):
        return
    source = str(config.source_file) if config.source_file else "config"
    message = (
        f"is {state_dir}, but the service may only write to its StateDirectory "
        f'{allowed[0]}: set state_dir = "{allowed[0]}"'
    )
    raise ConfigError([Problem("daemon.state_dir", message, source)])
