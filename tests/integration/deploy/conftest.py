"""Figures the deployment tests measure, printed at the end of the run (not captured)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.fixtures.dockerfile import REPO, install_arguments, mapped

MEASURED: dict[str, str] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print what the deployment checks measured, e.g. the unit's security exposure."""
    if MEASURED:
        terminalreporter.section("deployment checks")
        for what, figure in MEASURED.items():
            terminalreporter.write_line(f"{what}: {figure}")


@dataclass(frozen=True)
class Standalone:
    """A venv built the way the container image is, from a wheel built the way it is."""

    root: Path  # outside the repository: nothing there can be imported by accident
    wheel: Path
    places: dict[str, Path]  # the image's paths -> this venv's

    @property
    def bin(self) -> Path:
        return self.places["/opt/rebalancer"] / "bin"

    def env(self, **extra: str) -> dict[str, str]:
        """A clean environment: no repository on the path, no config or secrets from outside."""
        keep = {"HOME", "LANG", "LC_ALL", "TMPDIR", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"}
        base = {key: value for key, value in os.environ.items() if key in keep}
        return {**base, "PATH": f"{self.bin}:/usr/bin:/bin", **extra}

    def run(self, *args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
        """``rebalancer ARGS`` from the venv, in ``root``."""
        return subprocess.run(
            [str(self.bin / "rebalancer"), *args],
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )


@pytest.fixture(scope="session")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Standalone:
    """Build the wheel from a copy of what the image's build stage copies, then install it with
    ``packaging/install.sh`` and the very arguments the image's ``RUN`` gives it. Once per
    session: building and installing take a minute."""
    root = tmp_path_factory.mktemp("standalone")
    source = root / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    ignored = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    shutil.copytree(REPO / "src", source / "src", ignore=ignored)
    staging = root / "install"  # the image's /tmp/install
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(staging)],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = staging.glob("rebalancer-*.whl")
    shutil.copy(REPO / "requirements" / "lock.txt", staging / "lock.txt")
    shutil.copy(REPO / "packaging" / "install.sh", staging / "install.sh")
    places = {
        "/tmp/install": staging,
        "/opt/rebalancer": root / "opt",
        "/etc/rebalancer": root / "etc",
        "/var/lib/rebalancer": root / "lib",
    }
    arguments = [mapped(word, places) for word in install_arguments()]
    unmapped = [
        word for word in arguments if word.startswith("/") and not word.startswith(str(root))
    ]
    assert not unmapped, f"the Dockerfile passes paths this test does not map: {unmapped}"
    arguments = [sorted(glob.glob(word))[0] if "*" in word else word for word in arguments]
    setup = Standalone(root, wheel, places)
    installed = subprocess.run(
        ["sh", str(staging / "install.sh"), *arguments],
        cwd=root,
        env=setup.env(PYTHON=sys.executable),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    return setup
