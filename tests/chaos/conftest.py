"""One test per scenario: seeds ``--chaos-seed`` .. ``--chaos-seed + --chaos-scenarios - 1``."""

from __future__ import annotations

import pytest


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "seed" in metafunc.fixturenames:
        first = int(metafunc.config.getoption("--chaos-seed"))
        count = int(metafunc.config.getoption("--chaos-scenarios"))
        seeds = list(range(first, first + count))
        metafunc.parametrize("seed", seeds, ids=[f"seed{s}" for s in seeds])
