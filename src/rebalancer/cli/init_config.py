"""``rebalancer init-config PATH [--paper]``: write a commented starter config to edit.

The templates ship inside the package (``rebalancer.templates``), so a fresh install needs
nothing from the source tree. ``--paper`` writes a paper-trading config and, next to it, the
embedded simulator's config (its name with ``-sim`` added), ready for ``rebalancer run``.
``--state-dir`` sets ``[daemon] state_dir`` (default: ``state`` beside the config; a service
wants ``/var/lib/rebalancer``). Each file written is validated as the daemon would read it.

Exit status: 0 written; 1 a file could not be written; 2 a file exists already (``--force``
replaces it) or the arguments are wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from pathlib import Path

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
STATE_DIR_LINE = 'state_dir = "state"'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the file to write and the kind of config."""
    parser.add_argument("path", type=Path, metavar="PATH", help="the config file to write")
    parser.add_argument(
        "--paper",
        action="store_true",
        help="simulated venues (no keys, no money); also writes PATH's -sim simulator config",
    )
    parser.add_argument(
        "--state-dir",
        default="state",
        metavar="DIR",
        help="[daemon] state_dir: database and lock (default: state, beside the config)",
    )
    parser.add_argument("--force", action="store_true", help="replace files that exist")


def run(args: argparse.Namespace) -> int:
    """Write the template(s), refusing to overwrite unless ``--force``."""
    from rebalancer.runtime.paper import default_simulator_config

    path: Path = args.path
    files = {path: _config_text("paper.toml" if args.paper else "live.toml", args.state_dir)}
    if args.paper:
        files[default_simulator_config(path)] = _template("paper-sim.toml")
    existing = [str(p) for p in files if p.exists()]
    if existing and not args.force:
        names = ", ".join(existing)
        print(f"rebalancer init-config: {names} already there; --force replaces", file=sys.stderr)
        return EXIT_USAGE
    try:
        for target, text in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    except OSError as error:
        why = f"cannot write {error.filename}: {error.strerror}"
        print(f"rebalancer init-config: {why}", file=sys.stderr)
        return EXIT_FAILURE
    if (problems := _problems(path)) is not None:
        print(f"rebalancer init-config: {path} does not validate:\n{problems}", file=sys.stderr)
        return EXIT_FAILURE
    for target in files:
        print(f"wrote {target}")
    print(f"next: rebalancer check-config {path}")
    return EXIT_OK


def _problems(path: Path) -> str | None:
    """What is wrong with the written config as the daemon reads it (no environment)."""
    from rebalancer.domain.errors import ConfigError
    from rebalancer.settings import load_config

    try:
        load_config(path, env={})
    except ConfigError as error:
        return str(error)
    return None


def _template(name: str) -> str:
    return resources.files("rebalancer.templates").joinpath(name).read_text(encoding="utf-8")


def _config_text(name: str, state_dir: str) -> str:
    """The template with ``[daemon] state_dir`` set (a TOML string, quoted as JSON quotes it)."""
    text = _template(name)
    return text.replace(STATE_DIR_LINE, f"state_dir = {json.dumps(state_dir)}", 1)
