"""Targets while some assets have no market: not listed yet, or delisted.

An asset the history has no market for cannot be held to its target; its weight goes to cash or
to the other assets in proportion to their targets (``OnDelisting``), and the asset leaves the
policy until it lists. The policy the daemon checks against changes at each listing and
delisting, as it would when a trader edits the config. Weights stay exact Decimals summing to
100; any remainder of the pro-rata split goes to the largest share.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import ROUND_DOWN, Decimal

from rebalancer.backtest.spec import OnDelisting
from rebalancer.domain.money import HUNDRED, ZERO
from rebalancer.domain.policy import DriftBand, Policy

QUANTUM = Decimal("0.00000001")


def available_weights(
    weights: Mapping[str, Decimal], quote: str, tradable: frozenset[str], rule: OnDelisting
) -> dict[str, Decimal]:
    """The targets of the assets in ``tradable`` (and cash), with the others' weight moved."""
    kept = {a: w for a, w in weights.items() if a == quote or a in tradable}
    freed = sum((w for a, w in weights.items() if a not in kept), ZERO)
    kept.setdefault(quote, ZERO)
    if freed == 0:
        return kept
    others = {a: w for a, w in kept.items() if a != quote and w > 0}
    if rule is OnDelisting.CASH or not others:
        kept[quote] += freed
        return kept
    base = sum(others.values(), ZERO)
    shares = {
        a: (freed * w / base).quantize(QUANTUM, rounding=ROUND_DOWN) for a, w in others.items()
    }
    largest = max(sorted(others), key=lambda a: others[a])
    shares[largest] += freed - sum(shares.values(), ZERO)
    for asset, share in shares.items():
        kept[asset] += share
    return kept


def policy_for(policy: Policy, tradable: frozenset[str], rule: OnDelisting) -> Policy:
    """``policy`` with the targets of the assets in ``tradable`` only (see the module doc)."""
    weights = available_weights(policy.weights, policy.quote, tradable, rule)
    if dict(weights) == dict(policy.weights):
        return policy
    band = policy.drift_band
    if band is not None:
        band = DriftBand(
            band.type, band.percent, {a: p for a, p in band.per_asset.items() if a in weights}
        )
    assert sum(weights.values(), ZERO) == HUNDRED  # exact by construction
    return replace(policy, weights=weights, drift_band=band)


def untargeted(policy: Policy, configured: Policy) -> list[str]:
    """Assets the configured policy targets that ``policy`` has dropped, sorted."""
    return sorted(a for a, w in configured.weights.items() if w > 0 and a not in policy.weights)
