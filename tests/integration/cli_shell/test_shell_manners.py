"""How commands behave at a shell: a closed pipe ends them quietly, and read-only commands
create nothing (a mistyped state directory must not leave an empty database behind)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rebalancer.cli import main

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "config" / "example.toml"
SNAPSHOT = REPO / "config" / "example-snapshot.json"
REBALANCER = str(Path(sys.executable).parent / "rebalancer")


@pytest.mark.parametrize(
    "args",
    [
        ["check-config", str(EXAMPLE)],
        ["config-schema"],
        ["plan", "--config", str(EXAMPLE), "--portfolio", "core", "--snapshot", str(SNAPSHOT)],
        ["--help"],
    ],
    ids=lambda args: args[0],
)
def test_a_closed_output_pipe_ends_a_command_quietly(args: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REBALANCER_")}
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte, as with `| true`
    with subprocess.Popen(
        [REBALANCER, *args], stdout=write, stderr=subprocess.PIPE, text=True, env=env
    ) as command:
        os.close(write)
        _, err = command.communicate(timeout=60)
    assert command.returncode == 0
    assert "Traceback" not in err
    assert "BrokenPipeError" not in err


@pytest.fixture
def unused_config(tmp_path: Path) -> Path:
    """A config whose state directory does not exist yet."""
    text = EXAMPLE.read_text(encoding="utf-8")
    path = tmp_path / "fresh.toml"
    path.write_text(text.replace('state_dir = "../state"', 'state_dir = "state"'), "utf-8")
    assert 'state_dir = "state"' in path.read_text(encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "status", "says"),
    [
        (["runs"], 1, "no database at"),
        (["runs", "show", "3f9a0c2d1e"], 1, "no database at"),
        (["db", "current"], 1, "no database yet"),
        (["replay", "3f9a0c2d1e"], 1, "no database at"),
        (["status"], 2, "[api] is not enabled"),
    ],
    ids=["runs", "runs show", "db current", "replay", "status"],
)
def test_read_only_commands_create_no_state_directory_or_database(
    unused_config: Path,
    args: list[str],
    status: int,
    says: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([*args, "--config", str(unused_config)]) == status
    out, err = capsys.readouterr()
    assert says in out + err
    assert not (unused_config.parent / "state").exists()
