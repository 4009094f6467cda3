"""``rebalancer db``: manage the state database.

``rebalancer db upgrade --config C`` brings the database the config names (``[daemon]
database_url``, else the SQLite file in ``state_dir``) to the newest schema; ``--url`` or
``--state-dir`` name the database directly. ``rebalancer db current`` says which revision a
database is at. The daemon upgrades on start as well; this command lets operators do it (and
take a backup) first.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from rebalancer.domain.errors import ConfigError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``db <action>`` and where the database is."""
    parser.add_argument(
        "action",
        choices=("upgrade", "current"),
        help="upgrade: migrate to the newest schema; current: show the schema revision",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--config", type=Path, help="config file naming the database")
    where.add_argument("--url", help="SQLAlchemy URL, e.g. postgresql+asyncpg://host/db")
    where.add_argument("--state-dir", type=Path, help="use the SQLite file in this directory")


def database_url(args: argparse.Namespace) -> str:
    """The URL the arguments name (the config's database, a state dir's file or the URL)."""
    from rebalancer.persistence import sqlite_url

    if args.url:
        return str(args.url)
    if args.state_dir is not None:
        return sqlite_url(Path(args.state_dir))
    from rebalancer.settings import load_config

    return load_config(args.config).daemon.effective_database_url()


def run(args: argparse.Namespace) -> int:
    """Carry out ``db upgrade`` or ``db current`` and report the revision."""
    try:
        url = database_url(args)
    except ConfigError as error:
        print(f"rebalancer db: the config is wrong:\n{error}", file=sys.stderr)
        return EXIT_USAGE
    return asyncio.run(_run(args.action, url))


async def _run(action: str, url: str) -> int:
    from rebalancer.persistence.engine import create_engine, describe_url, sqlite_file
    from rebalancer.persistence.migrate import (
        current_revision,
        head_revision,
        known_revisions,
        upgrade_to_head,
    )

    shown = describe_url(url)
    missing = sqlite_file(url)
    if action == "current" and missing is not None and not missing.is_file():
        print(f"{shown}: no database yet (`rebalancer db upgrade` creates it)")
        return EXIT_FAILURE  # read-only: it creates nothing
    engine = create_engine(url)
    try:
        if action == "upgrade":
            before = await current_revision(engine)
            after = await upgrade_to_head(engine)
            change = "already at" if before == after else f"upgraded from {before or 'empty'} to"
            print(f"{shown}: {change} revision {after} (head)")
            return EXIT_OK
        current = await current_revision(engine)
        head = head_revision()
        if current == head:
            state = "head"
        elif current is None or current in known_revisions():
            state = f"behind head {head}: run `rebalancer db upgrade`"
        else:
            state = f"unknown to this version, which knows up to {head}"
        print(f"{shown}: revision {current or 'none (empty database)'} ({state})")
        return EXIT_OK if current == head else EXIT_FAILURE
    except Exception as error:  # any database failure ends the command with a message
        print(f"rebalancer db {action}: {shown}: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        await engine.dispose()
