"""docs/cli.md lists every command, and says for each what its exit statuses mean."""

from __future__ import annotations

import re
from pathlib import Path

from rebalancer.cli import COMMANDS

CLI_DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def exit_table() -> dict[str, list[str]]:
    """The rows of the "Exit status" table: command -> what 0, 1 and 2 mean."""
    text = CLI_DOCS.read_text(encoding="utf-8")
    section = text.split("## Exit status", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            for command in re.findall(r"`([a-z-]+)", cells[0]):
                rows[command] = cells[1:]
    return rows


def test_every_command_has_its_exit_statuses_in_the_docs() -> None:
    table = exit_table()
    missing = sorted(set(COMMANDS) - set(table))
    assert not missing, f"docs/cli.md's exit table lacks {missing}"
    assert all(row[0] for row in table.values()), "every command says what 0 means"


def test_every_command_is_in_the_docs_command_list() -> None:
    text = CLI_DOCS.read_text(encoding="utf-8")
    shown = set(re.findall(r"`(?:rebalancer )?([a-z-]+)[ `]", text))
    missing = [name for name in COMMANDS if name not in shown]
    assert not missing, f"docs/cli.md never shows {missing}"
