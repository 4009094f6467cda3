"""What an episode must hold, read from the simulator's logs and the daemon's database.

- no duplicate: every client id reached a venue once, and no plan node of a round filled twice
  (two attempts of one order both executed);
- no orphan: every order and withdrawal on a venue is one the daemon committed first, and none
  of ours is left open on a venue at the end;
- a price step beyond the sanity limit (a +20 % jump from where the price stood) halts the
  daemon: the episode had to resume it;
- no double-counted transfer and no over-trading: ``tests.e2e.invariants`` (every withdrawal
  counted exactly once in every round's snapshot; notional traded at most 1.1 x one plan from
  the first snapshot plus what the price moves required).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from tests.chaos.episode import Episode
from tests.chaos.scenario import PriceMove
from tests.e2e.faults_harness import stored
from tests.e2e.invariants import check_episode

from rebalancer.core.client_ids import is_ours

SANITY = Decimal("0.15")  # [breaker] max_price_jump_percent's default, which the episode keeps


def verdict(episode: Episode) -> dict[str, Any]:
    """The episode's figures and every problem found (``problems`` empty: all held)."""
    assert episode.config is not None
    control = episode.control
    venue_orders = control.orders()
    transfers = control.transfers()
    kept = stored(episode.state)
    known = {o.client_order_id: o for o in kept.orders}
    problems: list[str] = []

    sent = Counter(o["client_order_id"] for o in venue_orders)
    duplicates = [cid for cid, n in sent.items() if n > 1]
    filled_nodes = Counter(
        (known[o["client_order_id"]].run_id, known[o["client_order_id"]].round,
         known[o["client_order_id"]].node_id)
        for o in venue_orders
        if o["client_order_id"] in known and Decimal(o["filled"]) > 0
    )  # fmt: skip
    duplicates += [
        f"{run} round {rnd} {node}" for (run, rnd, node), n in filled_nodes.items() if n > 1
    ]
    problems += [f"duplicate: {what}" for what in duplicates]

    orphans = [o["client_order_id"] for o in venue_orders if o["client_order_id"] not in known]
    left_open = [
        o["client_order_id"]
        for o in venue_orders
        if o["state"] in ("new", "partially_filled") and is_ours(o["client_order_id"])
    ]
    transfer_ids = {t.id for t in kept.transfers}
    orphan_withdrawals = [
        w["client_id"] for w in transfers["withdrawals"] if w["client_id"] not in transfer_ids
    ]
    orphans += left_open + orphan_withdrawals
    problems += [f"orphan: {cid}" for cid in orphans]

    if beyond_sanity(episode.scenario.prices) and episode.resumes == 0:
        problems.append("a price step beyond the sanity limit did not halt the daemon")

    figures = check_episode(
        episode.state, episode.config, venue_orders, transfers, episode.scenario.balances
    )
    double_counts = list(figures["counting_problems"])
    problems += [p for p in figures["problems"] if p not in double_counts] + double_counts
    return {
        "seed": episode.scenario.seed,
        "world": episode.scenario.world,
        "kinds": list(episode.scenario.kinds),
        "kills": episode.kills,
        "resumes": episode.resumes,
        "orders": len(venue_orders),
        "withdrawals": len(transfers["withdrawals"]),
        "duplicates": len(duplicates),
        "orphans": len(orphans),
        "double_counts": len(double_counts),
        "traded": figures["traded"],
        "needed": str(Decimal(figures["needed_first"]) + Decimal(figures["needed_price_moves"])),
        "ratio": figures["ratio"],
        "breaker": kept.breaker.state.value if kept.breaker is not None else "ACTIVE",
        "notes": episode.notes,
        "problems": problems,
    }


def beyond_sanity(moves: Sequence[PriceMove]) -> bool:
    """Whether a price ends more than ``SANITY`` away from where it stood before a step beyond
    it (a jump to 1.2 x after a genuine move to 1.06 x is only +13 %). A jump that a later move
    takes back within the limit need not halt: the daemon may have been down the whole time,
    and it compares each snapshot with the last good one it saw."""
    level: dict[str, Decimal] = {}
    before_jump: dict[str, Decimal] = {}
    for move in moves:
        before = level.get(move.symbol, Decimal(1))
        level[move.symbol] = Decimal(move.factor)
        if abs(level[move.symbol] / before - 1) > SANITY:
            before_jump.setdefault(move.symbol, before)
    return any(abs(level[symbol] / was - 1) > SANITY for symbol, was in before_jump.items())
