"""The shipped systemd unit is valid, hardened ("OK" or better), and its secrets are all named.

``systemd-analyze`` comes from Debian's ``systemd`` package; ``.ci/run`` installs it where it is
missing. These tests fail rather than skip without it: an unchecked unit file is not a pass.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import types
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr
from tests.fixtures.systemd_unit import ENV_EXAMPLE, UNIT, service, unit_settings

from rebalancer.settings import AppConfig

from .conftest import MEASURED

ACCEPTABLE = ("OK", "SAFE", "PERFECT")  # systemd-analyze's ratings at or below 4.9 exposure


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    assert found, "systemd-analyze is missing: install Debian's systemd package (.ci/run does)"
    return found


@pytest.fixture
def system_root(tmp_path: Path) -> Path:
    """A root holding the unit, the programs it runs (stubs) and the host's own unit library.

    Checking inside a root lets ``verify`` prove ExecStart= and ExecReload= name programs where
    the deployment puts them, without installing anything on this machine.
    """
    root = tmp_path / "root"
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(UNIT, root / "etc/systemd/system" / UNIT.name)
    (root / "usr/lib/systemd").mkdir(parents=True)
    library = Path("/lib/systemd/system")
    (root / "usr/lib/systemd/system").symlink_to(library)
    for line in [*service("ExecStart"), *service("ExecReload")]:
        program = root / line.split()[0].lstrip("/")
        program.parent.mkdir(parents=True, exist_ok=True)
        program.write_text("#!/bin/sh\n", encoding="utf-8")
        program.chmod(0o755)
    return root


def test_systemd_analyze_verify_passes_without_a_single_remark(system_root: Path) -> None:
    result = subprocess.run(
        [systemd_analyze(), "verify", "--man=no", f"--root={system_root}", UNIT.name],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""  # unknown keys and bad values are only remarks


def test_systemd_analyze_security_rates_the_unit_ok_or_better(system_root: Path) -> None:
    result = subprocess.run(
        [systemd_analyze(), "security", "--offline=yes", f"--root={system_root}", UNIT.name],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    overall = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", result.stdout)
    assert overall is not None, result.stdout
    MEASURED["systemd-analyze security rebalancer.service"] = f"{overall[1]} {overall[2]}"
    assert overall[2] in ACCEPTABLE, result.stdout


def test_the_unit_says_what_the_issue_and_the_docs_promise() -> None:
    settings = unit_settings()
    assert settings["Unit"]["StartLimitBurst"]
    assert settings["Unit"]["StartLimitIntervalSec"]
    assert service("Type") == ["notify"]
    assert service("NotifyAccess") == ["main"]
    assert service("Restart") == ["on-failure"]
    assert service("ExecReload") == ["/bin/kill -HUP $MAINPID"]
    assert service("CapabilityBoundingSet") == [""]
    assert service("StateDirectory") == ["rebalancer"]
    assert service("ConfigurationDirectory") == ["rebalancer"]
    assert service("User") == ["rebalancer"]
    assert any(line.startswith("rebalancer:") for line in service("LoadCredential"))
    for key in ("ProtectSystem", "ProtectHome", "PrivateTmp", "NoNewPrivileges", "MemoryMax"):
        assert service(key), f"{key}= is missing"
    assert service("RestrictAddressFamilies") == ["AF_UNIX AF_INET AF_INET6"]
    assert "@system-service" in service("SystemCallFilter")


def test_stopping_outlasts_the_daemons_default_drain() -> None:
    (timeout,) = service("TimeoutStopSec")
    grace = AppConfig.model_fields["daemon"].default_factory().shutdown_grace_s  # type: ignore[misc]
    assert _seconds(timeout) >= grace + 30


def test_the_watchdog_fits_the_default_check_interval() -> None:
    (watchdog,) = service("WatchdogSec")
    interval = AppConfig.model_fields["daemon"].default_factory().check_interval_s  # type: ignore[misc]
    assert 30 <= _seconds(watchdog) <= interval  # docs/deploy.md: about check_interval_s


def _seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(s|min)?", value)
    assert match is not None, value
    return float(match[1]) * (60 if match[2] == "min" else 1)


def secret_variables(model: type[BaseModel], prefix: str = "REBALANCER_") -> Iterator[str]:
    """The variable of every secret the config accepts; a mapping's key appears as NAME."""
    for name, field in model.model_fields.items():
        path = f"{prefix}{name.upper()}"
        for kind in _kinds(field.annotation):
            if kind is SecretStr:
                yield path
            elif isinstance(kind, type) and issubclass(kind, BaseModel):
                yield from secret_variables(kind, f"{path}__")
            elif typing.get_origin(kind) is not None and typing.get_args(kind):
                for inner in _kinds(typing.get_args(kind)[-1]):
                    if isinstance(inner, type) and issubclass(inner, BaseModel):
                        yield from secret_variables(inner, f"{path}__NAME__")


def _kinds(annotation: object) -> tuple[object, ...]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def test_the_environment_example_names_every_secret() -> None:
    named = set(re.findall(r"^#?(REBALANCER_\w+)=", ENV_EXAMPLE.read_text("utf-8"), re.M))
    secrets = sorted(set(secret_variables(AppConfig)))
    assert "REBALANCER_VENUES__NAME__SECRET" in secrets
    for variable in secrets:
        pattern = re.compile(variable.replace("NAME", "[A-Z0-9_]+?") + "$")
        assert any(pattern.match(line) for line in named), f"{ENV_EXAMPLE.name} lacks {variable}"
