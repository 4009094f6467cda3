"""``rebalancer init-config`` writes a commented starter config that validates as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rebalancer.cli import main
from rebalancer.settings import load_config

REPO = Path(__file__).resolve().parents[3]


def test_paper_writes_the_config_and_its_simulator_and_both_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "etc" / "paper.toml"
    assert main(["init-config", "--paper", str(path), "--state-dir", "/var/lib/rebalancer"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"wrote {path}",
        f"wrote {tmp_path / 'etc' / 'paper-sim.toml'}",
        f"next: rebalancer check-config {path}",
    ]
    config = load_config(path, env={})
    assert all(venue.simulated for venue in config.venues.values())
    assert config.daemon.state_dir == Path("/var/lib/rebalancer")
    assert main(["check-config", str(path)]) == 0


def test_the_paper_template_is_the_repositorys_paper_config(tmp_path: Path) -> None:
    """`make run`'s config and the shipped template may differ only in their comments and
    state_dir, so the paper world a new user gets is the one the docs describe."""
    assert main(["init-config", "--paper", str(tmp_path / "paper.toml")]) == 0
    for name in ("paper.toml", "paper-sim.toml"):
        assert _settings(tmp_path / name) == _settings(REPO / "config" / name), name


def _settings(path: Path) -> list[str]:
    lines = [re.sub(r"\s*#.*", "", line) for line in path.read_text("utf-8").splitlines()]
    return [line for line in lines if line and not line.startswith("state_dir")]


def test_the_live_template_has_no_secret_and_validates(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    assert main(["init-config", str(path)]) == 0
    config = load_config(path, env={})
    assert not any(venue.simulated or venue.has_credentials for venue in config.venues.values())
    assert config.secrets_in_file == ()


def test_an_existing_file_is_kept_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("# mine\n", encoding="utf-8")
    assert main(["init-config", str(path)]) == 2
    assert "already there; --force replaces" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "# mine\n"
    assert main(["init-config", str(path), "--force"]) == 0
    assert "[portfolios.core]" in path.read_text(encoding="utf-8")
