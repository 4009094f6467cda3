"""``load_config``: read the file, overlay the environment, validate, report every problem."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from pydantic import ValidationError

from rebalancer.domain.errors import ConfigError, Problem
from rebalancer.settings.app import AppConfig
from rebalancer.settings.credentials import read_credentials
from rebalancer.settings.fields import paths_relative_to
from rebalancer.settings.problems import Location, as_problem, secret_paths, validation_problems
from rebalancer.settings.references import reference_problems
from rebalancer.settings.sources import (
    ENVIRONMENT,
    config_path,
    merged,
    origin,
    read_env,
    read_toml,
)


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> AppConfig:
    """Load and validate the config at ``path`` (default: ``$REBALANCER_CONFIG``).

    ``env`` (default: ``os.environ``) supplies secrets and overrides such as
    ``REBALANCER_VENUES__BINANCE__SECRET``; its values win over the file's. So do the files in
    its ``$CREDENTIALS_DIRECTORY`` (systemd's ``LoadCredential=``), named like those variables.
    Relative paths in the file are relative to the file's directory.

    Raises ConfigError listing every problem, each with its dotted key path and its source (the
    file's path, or "environment"); a missing file or a TOML syntax error is one such problem.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    file = config_path(path, environ)
    file_tree = read_toml(file)
    credentials, credential_problems = read_credentials(environ)
    env_tree, problems = read_env({**environ, **credentials})
    problems = [*credential_problems, *problems]
    tree = merged(file_tree, env_tree)
    found: list[tuple[Location, str]] = list(reference_problems(tree))
    config: AppConfig | None = None
    try:
        with paths_relative_to(file.parent.absolute()):
            config = AppConfig.model_validate(tree)
    except ValidationError as error:
        found = [*validation_problems(error, AppConfig), *found]
    problems.extend(
        as_problem(location, message, _source(origin(location, file_tree, env_tree), file))
        for location, message in found
    )
    if problems or config is None:
        raise ConfigError(_ordered(problems))
    config.remember_source(file, tuple(secret_paths(file_tree)))
    return config


def _source(where: str, file: Path) -> str:
    return ENVIRONMENT if where == ENVIRONMENT else str(file)


def _ordered(problems: Iterable[Problem]) -> list[Problem]:
    """Problems without repeats, sorted by source and key path so output is stable."""
    unique = dict.fromkeys(problems)
    return sorted(unique, key=lambda p: (p.source != ENVIRONMENT, p.source, p.location))
