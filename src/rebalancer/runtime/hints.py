"""The ``rebalancer`` commands the daemon tells a person to type, written so they work as printed.

A hint such as "approve it with `rebalancer approve 3f9a0c2d1e`" is useless if the shell it is
typed into finds another config (no ``--config``, or a relative path from another directory),
or another user's state directory. So hints name the config file by its absolute path, and
under systemd, where the daemon runs as its own user, they start with ``sudo -u USER`` so the
command opens the database as the user that owns it.
"""

from __future__ import annotations

import os
import pwd
import shlex
from collections.abc import Callable, Mapping

from rebalancer.settings import AppConfig


def operator_command(config: AppConfig, env: Mapping[str, str] | None = None) -> Callable[..., str]:
    """A function rendering ``rebalancer WORDS... --config FILE`` for ``config``'s daemon."""
    environ = os.environ if env is None else env
    prefix: list[str] = []
    if environ.get("INVOCATION_ID") and os.geteuid() != 0:  # a systemd service's own user
        prefix = ["sudo", "-u", _user_name()]
    suffix = ["--config", str(config.source_file.absolute())] if config.source_file else []

    def command(*words: str) -> str:
        return shlex.join([*prefix, "rebalancer", *words, *suffix])

    return command


def _user_name() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # a uid without a passwd entry
        return str(os.geteuid())
