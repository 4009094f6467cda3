"""Cash set aside for a withdrawal, kept outside the portfolio: pure functions of values.

- ``held_by_venue``: what the active set-asides hold per venue.
- ``without_set_asides``: the snapshot the daemon decides on, each venue's quote balance less
  what is set aside there (never below zero), so weights, drift, triggers and every plan see
  only the remaining portfolio and no run spends the cash.
- ``spread_set_aside``: where a finished withdrawal's cash is set aside: at the asked venue, or
  over the venues holding free cash, the most first.
- ``paid_out``: how much of which set-asides a fall of a venue's balance shows to have left.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal

from rebalancer.domain.money import ZERO
from rebalancer.domain.policy import Policy
from rebalancer.domain.set_asides import SetAside
from rebalancer.domain.snapshot import Snapshot


def held_by_venue(set_asides: Iterable[SetAside], asset: str) -> dict[str, Decimal]:
    """The amount of ``asset`` the active set-asides hold, per venue."""
    held: dict[str, Decimal] = {}
    for item in set_asides:
        if item.active and item.asset == asset:
            held[item.venue] = held.get(item.venue, ZERO) + item.amount
    return held


def without_set_asides(snapshot: Snapshot, asset: str, held: Mapping[str, Decimal]) -> Snapshot:
    """``snapshot`` with each venue's ``asset`` balance less ``held`` there (never below zero).

    Venues the snapshot does not have, and zero amounts, change nothing; with nothing held the
    snapshot itself is returned.
    """
    changed = {
        name: venue
        for name, venue in snapshot.venues.items()
        if held.get(name, ZERO) > 0 and venue.balance(asset) > 0
    }
    if not changed:
        return snapshot
    venues = dict(snapshot.venues)
    for name, venue in changed.items():
        left = max(ZERO, venue.balance(asset) - held[name])
        venues[name] = replace(venue, balances={**venue.balances, asset: left})
    return replace(snapshot, venues=venues)


def free_cash(snapshot: Snapshot, policy: Policy) -> dict[str, Decimal]:
    """Per venue of the policy, the quote cash above its reserve (what may be paid out)."""
    reserve = policy.constraints.cash_reserve
    free: dict[str, Decimal] = {}
    for name in policy.venues:
        venue = snapshot.venues.get(name)
        if venue is not None:
            free[name] = max(ZERO, venue.balance(policy.quote) - reserve.get(name, ZERO))
    return free


def spread_set_aside(
    snapshot: Snapshot, policy: Policy, amount: Decimal, venue: str | None
) -> tuple[tuple[str, Decimal], ...]:
    """Where ``amount`` raised for a withdrawal is set aside: ``(venue, amount)`` pairs.

    With a ``venue``, all of it there, as far as that venue holds cash above its reserve. Without
    one, over the venues holding free cash, the venue with the most first (ties by name), each
    up to its free cash: the fewest venues a person must withdraw from. Less than ``amount``
    when less is free (a partial withdrawal).
    """
    free = free_cash(snapshot, policy)
    if venue is not None:
        here = min(amount, free.get(venue, ZERO))
        return ((venue, here),) if here > 0 else ()
    spread: list[tuple[str, Decimal]] = []
    left = amount
    for name, cash in sorted(free.items(), key=lambda item: (-item[1], item[0])):
        if left <= 0:
            break
        take = min(left, cash)
        if take > 0:
            spread.append((name, take))
            left -= take
    return tuple(spread)


def paid_out(
    set_asides: Sequence[SetAside], balance: Decimal
) -> tuple[tuple[SetAside, Decimal], ...]:
    """How much of each set-aside of one venue and asset a fall of its balance to ``balance``
    paid out: ``(set-aside, paid)`` pairs, ``paid`` at most its amount.

    Each set-aside's ``seen_balance`` is the balance last seen with no run or transfer of ours
    since; the fall below it is cash that left in a way no run of ours explains. The oldest
    set-aside is paid first, then the next from what is left of the fall: a person who pays a
    withdrawal out in parts pays it down part by part.
    """
    paid: list[tuple[SetAside, Decimal]] = []
    taken = ZERO
    for item in sorted(set_asides, key=lambda s: (s.created_at, s.id)):
        fall = item.seen_balance - balance - taken
        if fall > 0:
            part = min(item.amount, fall)
            paid.append((item, part))
            taken += part
    return tuple(paid)
