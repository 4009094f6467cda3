"""Secrets from systemd credentials: files in ``$CREDENTIALS_DIRECTORY``, one value each.

Under systemd, ``LoadCredential=`` puts each secret in a file only the service can read, in a
directory named by ``$CREDENTIALS_DIRECTORY`` (docs/deploy.md). A file named like one of our
environment variables (``REBALANCER_VENUES__BINANCE__SECRET``) supplies that variable's value,
so the same names work in an ``EnvironmentFile=``, in a container's environment and here.
systemd may put the ``LoadCredential=`` id in front when it loads a whole directory
(``rebalancer_REBALANCER_...``); that prefix is dropped. Files with other names are not ours and
are left alone. One trailing newline (as ``echo`` writes) is not part of the value.

A variable given both ways with different values is a problem: which one wins would be a guess.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from rebalancer.domain.errors import Problem
from rebalancer.settings.app import ENV_PREFIX

CREDENTIALS_ENV_VAR = "CREDENTIALS_DIRECTORY"


def credential_variable(file_name: str) -> str | None:
    """The environment variable a credential file stands for (None: not one of ours)."""
    name = file_name
    _, separator, rest = name.partition("_")
    if separator and rest.startswith(ENV_PREFIX):  # systemd put "<id>_" in front
        name = rest
    return name if name.startswith(ENV_PREFIX) else None


def read_credentials(env: Mapping[str, str]) -> tuple[dict[str, str], list[Problem]]:
    """The variables ``$CREDENTIALS_DIRECTORY`` supplies, and what is wrong with it."""
    directory = env.get(CREDENTIALS_ENV_VAR)
    if not directory:
        return {}, []
    root = Path(directory)
    try:
        names = sorted(entry.name for entry in os.scandir(root) if entry.is_file())
    except OSError as error:
        return {}, [Problem(CREDENTIALS_ENV_VAR, f"cannot be read ({error.strerror})", directory)]
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for name in names:
        variable = credential_variable(name)
        if variable is None:
            continue
        source = str(root / name)
        try:
            text = (root / name).read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(variable, "is not UTF-8 text", source))
            continue
        except OSError as error:
            problems.append(Problem(variable, f"cannot be read ({error.strerror})", source))
            continue
        value = text.removesuffix("\n").removesuffix("\r")
        given = env.get(variable)
        if given is not None and given != value:
            message = "is set both in the environment and as a credential, differently: keep one"
            problems.append(Problem(variable, message, source))
        values[variable] = value
    return values, problems
