"""The state database of a config, for commands that read or change it beside the daemon.

``rebalancer runs``, ``approve`` and ``resume`` open the same Store the daemon uses; every write
is one transaction, so they are safe while the daemon runs (it picks changes up on its next
check).
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import AsyncIterator
from pathlib import Path

from rebalancer.persistence import open_store
from rebalancer.ports import Store
from rebalancer.settings import load_config


@contextlib.asynccontextmanager
async def config_store(config_file: Path | None) -> AsyncIterator[Store]:
    """The Store named by the config's ``[daemon]`` table, closed on exit."""
    config = load_config(config_file)
    store = await open_store(config.daemon.effective_database_url())
    try:
        yield store
    finally:
        await store.close()


def operator_name(given: str | None) -> str:
    """Who is acting: ``--by`` if given, else the login name."""
    if given:
        return given
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"
