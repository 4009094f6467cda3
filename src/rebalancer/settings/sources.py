"""Where config values come from: the TOML file and the environment, and which one said what.

The file is parsed with ``parse_float=Decimal`` so ``percent = 5.5`` is exactly 5.5. The
environment is read by pydantic-settings' own ``EnvSettingsSource`` (``REBALANCER_`` prefix,
``__`` between levels, names matched case-insensitively) from a mapping we pass in, so tests
and reloads never depend on ``os.environ``. Environment values override the file's.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings
from pydantic_settings.exceptions import SettingsError
from pydantic_settings.sources import EnvSettingsSource
from pydantic_settings.sources.utils import parse_env_vars

from rebalancer.domain.errors import ConfigError, Problem
from rebalancer.settings.app import ENV_DELIMITER, ENV_PREFIX, AppConfig

CONFIG_ENV_VAR = "REBALANCER_CONFIG"
ENVIRONMENT = "environment"
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_SETTINGS_FIELD = re.compile(r'field "([^"]+)"')

Tree = dict[str, Any]


def config_path(path: str | Path | None, env: Mapping[str, str]) -> Path:
    """The config file to read: ``path`` if given, else ``$REBALANCER_CONFIG``."""
    chosen = path if path is not None else env.get(CONFIG_ENV_VAR)
    if not chosen:
        message = f"no config file given: pass --config PATH or set {CONFIG_ENV_VAR}"
        raise ConfigError([Problem("file", message, ENVIRONMENT)])
    return Path(chosen)


def read_toml(path: Path) -> Tree:
    """Parse the file; a missing file or a syntax error is a ConfigError naming the line."""
    source = str(path)
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle, parse_float=Decimal)
    except FileNotFoundError:
        raise ConfigError([Problem("file", "does not exist", source)]) from None
    except IsADirectoryError:
        raise ConfigError([Problem("file", "is a directory, not a TOML file", source)]) from None
    except PermissionError:
        raise ConfigError([Problem("file", "cannot be read (permission denied)", source)]) from None
    except UnicodeDecodeError:
        raise ConfigError([Problem("file", "is not UTF-8 text", source)]) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([_syntax_problem(error, source)]) from None


def _syntax_problem(error: tomllib.TOMLDecodeError, source: str) -> Problem:
    text = str(error)
    position = _TOML_POSITION.search(text)
    if position is None:
        return Problem("file", f"is not valid TOML: {text}", source)
    message = f"is not valid TOML: {text[: position.start()].strip()} (column {position[2]})"
    return Problem(f"line {position[1]}", message, source)


class _MappingEnvSource(EnvSettingsSource):
    """pydantic-settings' environment source, reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._given_env = env
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._given_env, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


def read_env(env: Mapping[str, str]) -> tuple[Tree, list[Problem]]:
    """The settings the environment holds, as a nested tree, and what is wrong with them."""
    problems = [
        Problem(_dotted(name), "is not a config key (unknown environment variable)", name)
        for name in sorted(env)
        if _addresses_unknown_key(name)
    ]
    try:
        return dict(_MappingEnvSource(AppConfig, env)()), problems
    except SettingsError as error:
        named = _SETTINGS_FIELD.search(str(error))
        field = named[1] if named else "REBALANCER_*"
        message = "expected a JSON value (the value is not shown: it may be secret)"
        problems.append(Problem(field, message, ENVIRONMENT))
        return {}, problems


def _addresses_unknown_key(name: str) -> bool:
    """A nested-style REBALANCER_ variable whose top-level key does not exist."""
    upper = name.upper()
    if not upper.startswith(ENV_PREFIX) or ENV_DELIMITER not in upper[len(ENV_PREFIX) :]:
        return False
    head = upper[len(ENV_PREFIX) :].split(ENV_DELIMITER)[0].lower()
    return head not in AppConfig.model_fields


def _dotted(name: str) -> str:
    return ".".join(part.lower() for part in name[len(ENV_PREFIX) :].split(ENV_DELIMITER))


def merged(file_tree: Tree, env_tree: Tree) -> Tree:
    """The file's tree with the environment's values laid over it (tables merged key by key)."""
    result = dict(file_tree)
    for key, value in env_tree.items():
        current = result.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            result[key] = merged(current, value)
        else:
            result[key] = value
    return result


def origin(location: tuple[str | int, ...], file_tree: Tree, env_tree: Tree) -> str:
    """``ENVIRONMENT`` when the value at ``location`` (or the table holding it) came from there.

    A key set in the environment, or a table that exists only there, is the environment's; a
    table the file has, even with a few keys overridden, is the file's.
    """
    in_file: Any = file_tree
    in_env: Any = env_tree
    for part in location:
        in_file = _child(in_file, part)
        in_env = _child(in_env, part)
        if in_env is _MISSING:
            return "file"
        if in_file is _MISSING or not isinstance(in_env, dict):
            return ENVIRONMENT
    return "file"


_MISSING = object()


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict) and isinstance(part, str):
        return node.get(part, _MISSING)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _MISSING
