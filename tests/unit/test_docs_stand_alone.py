"""The repository's docs stand alone: nothing a user reads points at notes they do not have.

The project was designed from notes kept outside the repository (a contracts page, research on
ccxt, the science of rebalancing, operations practice). Users get only the repository, so
docs/, the config files and their comments, the code (whose docstrings and help texts become
``--help`` and the config schema) and the README must not send them there; what they need is
in docs/ (formats.md for the snapshot and plan documents), the rest cites public sources.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
READ_BY_USERS = [REPO / "README.md", REPO / "docs", REPO / "config", REPO / "src", REPO / "systemd"]
TEXT = {".md", ".py", ".toml", ".json", ".ini", ".mako", ".service", ".example", ".conf", ".txt"}
OUTSIDE = re.compile(
    r"contracts\.md|science\.md|ccxt\.md|ops\.md|peers\.md|\.\./shared|shared/research"
    r"|contracts §|research notes"
)
LINK = re.compile(r"\]\((?!https?://|#)([^)#\s]+)")


def user_files() -> list[Path]:
    files: list[Path] = []
    for place in READ_BY_USERS:
        found = [place] if place.is_file() else sorted(place.rglob("*"))
        files += [f for f in found if f.is_file() and f.suffix in TEXT and "egg-info" not in str(f)]
    return files


@pytest.mark.parametrize("path", user_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_file_a_user_reads_points_outside_the_repository(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [
        f"line {text.count(chr(10), 0, m.start()) + 1}: {m[0]}" for m in OUTSIDE.finditer(text)
    ]
    assert not found, f"{path.relative_to(REPO)} points outside the repository: {found}"


@pytest.mark.parametrize(
    "path",
    [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))],
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_every_relative_link_in_the_docs_leads_to_a_file(path: Path) -> None:
    broken = [
        target
        for target in LINK.findall(path.read_text(encoding="utf-8"))
        if not (path.parent / target).exists()
    ]
    assert not broken, f"{path.relative_to(REPO)} links to missing files: {broken}"
