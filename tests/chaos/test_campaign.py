"""The chaos campaign: seeded scenarios of kills and faults against the real daemon.

Each scenario (``scenario.py``) is played on the simulator and the daemon as subprocesses
(``episode.py``), then judged (``verdict.py``): no duplicate, no orphan, no double-counted
transfer, no over-trading beyond 1.1 x what was needed. ``make test`` runs a couple of
scenarios; ``pytest tests/chaos --chaos-scenarios 100 --chaos-report chaos.jsonl`` a campaign.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.chaos.episode import Episode
from tests.chaos.scenario import scenario
from tests.chaos.verdict import verdict

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_a_scenario_keeps_every_invariant(
    seed: int, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    episode = Episode(scenario(seed), tmp_path)
    try:
        episode.start_world()
        episode.play()
        figures = verdict(episode)
    finally:
        episode.stop()
    report = request.config.getoption("--chaos-report")
    if report:
        with Path(report).open("a", encoding="utf-8") as out:
            out.write(json.dumps(figures) + "\n")
    assert not figures["problems"], json.dumps(figures, indent=1)
