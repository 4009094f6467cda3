"""Options for the whole test tree: the size of the chaos campaign (``tests/chaos``)."""

from __future__ import annotations

import pytest

DEFAULT_CHAOS_SCENARIOS = 2  # what ``make test`` runs: about a minute or two on an idle machine


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaos", "the randomised fault campaign (tests/chaos)")
    group.addoption(
        "--chaos-scenarios",
        type=int,
        default=DEFAULT_CHAOS_SCENARIOS,
        help=f"how many seeded scenarios to run (default {DEFAULT_CHAOS_SCENARIOS})",
    )
    group.addoption(
        "--chaos-seed", type=int, default=1, help="the first scenario's seed (default 1)"
    )
    group.addoption(
        "--chaos-report",
        default=None,
        help="append each scenario's figures to this JSON-lines file",
    )
