"""The state database of a config, for commands that read or change it beside the daemon.

``rebalancer runs``, ``request``, ``approve``, ``pause`` and ``resume`` open the same Store the
daemon uses; every write is one transaction, so they are safe while the daemon runs (it picks
requests and approvals up within a second, pauses and resumes on its next check).
Read-only commands open it with ``existing=True``: they never create a state directory or a
database.
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import AsyncIterator
from pathlib import Path

from rebalancer.domain.policy import Policy
from rebalancer.persistence import open_existing_store, open_store
from rebalancer.ports import Store
from rebalancer.settings import AppConfig, load_config


@contextlib.asynccontextmanager
async def config_store(config_file: Path | None, *, existing: bool = False) -> AsyncIterator[Store]:
    """The Store named by the config's ``[daemon]`` table, closed on exit.

    ``existing``: the database must already exist at the newest schema, and nothing is created
    or migrated (read-only commands); else ``DatabaseNotReady`` says what is missing.
    """
    config = load_config(config_file)
    url = config.daemon.effective_database_url()
    store = await (open_existing_store(url) if existing else open_store(url))
    try:
        yield store
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def config_and_store(config_file: Path | None) -> AsyncIterator[tuple[AppConfig, Store]]:
    """The config and its Store (for commands that also need the portfolios' policies)."""
    config = load_config(config_file)
    store = await open_store(config.daemon.effective_database_url())
    try:
        yield config, store
    finally:
        await store.close()


def policies_of(config: AppConfig) -> dict[str, Policy]:
    """Every portfolio's policy, by name (what ``services.operations`` validates against)."""
    return {name: config.policy(name) for name in config.portfolios}


def operator_name(given: str | None) -> str:
    """Who is acting: ``--by`` if given, else the login name."""
    if given:
        return given
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"
