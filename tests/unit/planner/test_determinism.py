"""The same snapshot and policy give the same plan in separate processes, whatever the hash
seed (set and dict iteration order must not leak into the plan)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.fixtures.realdata import available

pytestmark = pytest.mark.skipif(not available(), reason="needs ../shared/data")

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = """
from decimal import Decimal
from tests.fixtures.realdata import multivenue_case
from rebalancer.core.planner import plan_rebalance
snap, policy = multivenue_case(1, n_assets=6, drift=0.8)
print(repr(plan_rebalance(snap, policy)))
"""


def plan_in_subprocess(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    return done.stdout


def test_plans_are_identical_across_processes_and_hash_seeds() -> None:
    first = plan_in_subprocess("1")

    assert "PlannedTransfer" in first  # the case moves cash between venues
    assert plan_in_subprocess("2") == first
