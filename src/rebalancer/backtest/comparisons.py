"""The alternatives every backtest is compared with, on the same prices, costs and venues.

* buy and hold: buy the targets at the first bar, then never trade;
* calendar only: the policy's own calendar, without its bands (none when it has no calendar);
* a 5 % band, to target: trade everything back to target whenever any asset is more than 5
  percentage points off (a common rule of thumb; OctoBot's default trigger is the same 5 points);
* sell all and rebuy: the policy's own triggers, but every rebalance sells everything and buys
  the targets back (OctoBot's index mode).

Each is a policy replayed through the daemon exactly like the trader's own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from rebalancer.domain.policy import BandType, DriftBand, Policy, RebalanceTo

FIVE_POINTS = DriftBand(BandType.ABSOLUTE, Decimal(5))


@dataclass(frozen=True, slots=True)
class Alternative:
    """A policy to compare with, how it is executed, and what it is in words."""

    key: str
    label: str
    policy: Policy
    sell_all: bool
    description: str


def alternatives(policy: Policy) -> tuple[list[Alternative], list[str]]:
    """The comparisons for ``policy``, and a note for each one that does not apply."""
    found = [
        Alternative(
            "buy_and_hold",
            "buy and hold",
            replace(policy, drift_band=None, calendar=None, cooldown_days=0),
            False,
            "the targets bought at the first bar, never traded again",
        ),
        Alternative(
            "five_points_to_target",
            "5 % band, to target",
            replace(
                policy,
                drift_band=FIVE_POINTS,
                calendar=None,
                cooldown_days=0,
                rebalance_to=RebalanceTo.TARGET,
            ),
            False,
            "everything back to target when any asset is more than 5 points off",
        ),
        Alternative(
            "sell_all_and_rebuy",
            "sell all and rebuy",
            policy,
            True,
            "the policy's own triggers; each rebalance sells everything and buys it back",
        ),
    ]
    notes = []
    if policy.calendar is not None:
        calendar = Alternative(
            "calendar_only",
            "calendar only",
            replace(policy, drift_band=None),
            False,
            f"the policy's calendar ({policy.calendar.every.value}) without its bands",
        )
        found.insert(1, calendar)
    else:
        notes.append("calendar only: the policy has no calendar, so there is nothing to compare")
    return found, notes
