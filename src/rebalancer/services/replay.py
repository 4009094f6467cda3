"""Replay a run: plan every stored round again from its stored snapshot and compare the plans.

Every decision is a pure function of a snapshot and a policy, and each round of a run is stored
with both the snapshot it was planned from and the plan (their JSON, byte for byte). Planning
each snapshot again must give the same bytes; when it does not, the policy (the config), the
planner or the data changed, and the difference is shown line by line.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rebalancer.domain.records import RoundRecord

DIFF_LINES = 40  # a difference is shown up to this many lines


@dataclass(frozen=True, slots=True)
class RoundReplay:
    """One round planned again: identical or not, and how it differs."""

    round: int
    identical: bool
    difference: tuple[str, ...] = ()  # a unified diff of the pretty-printed plans
    error: str | None = None  # the round could not be planned again, and why


def replay_rounds(
    rounds: Sequence[RoundRecord], plan_again: Callable[[RoundRecord], str]
) -> list[RoundReplay]:
    """Plan each round's snapshot again (``plan_again``: the stored round -> plan JSON; the
    round's stored plan says the amount it was made for, which can change between rounds)."""
    return [_replay(saved, plan_again) for saved in rounds]


def _replay(saved: RoundRecord, plan_again: Callable[[RoundRecord], str]) -> RoundReplay:
    try:
        replayed = plan_again(saved)
    except Exception as error:  # a bad snapshot or a planner failure is this round's answer
        return RoundReplay(saved.round, False, error=f"{type(error).__name__}: {error}")
    if replayed == saved.plan_json:
        return RoundReplay(saved.round, True)
    diff = difflib.unified_diff(
        _lines(saved.plan_json), _lines(replayed), "stored", "replayed", lineterm="", n=1
    )
    shown = list(diff)
    if len(shown) > DIFF_LINES:
        shown = [*shown[:DIFF_LINES], f"... ({len(shown) - DIFF_LINES} more lines)"]
    return RoundReplay(saved.round, False, tuple(shown))


def _lines(plan_json: str) -> list[str]:
    """A plan's JSON one key per line, so a difference reads as the fields that changed."""
    try:
        return json.dumps(json.loads(plan_json), indent=1).splitlines()
    except ValueError:
        return plan_json.splitlines()
