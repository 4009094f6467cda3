"""Figures the deployment tests measure, printed at the end of the run (not captured)."""

from __future__ import annotations

import pytest

MEASURED: dict[str, str] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print what the deployment checks measured, e.g. the unit's security exposure."""
    if MEASURED:
        terminalreporter.section("deployment checks")
        for what, figure in MEASURED.items():
            terminalreporter.write_line(f"{what}: {figure}")
