"""The invariants of an episode (all runs of one daemon against one simulator), checked after it.

- **Traded no more than needed**: the notional the venues filled, across every run, is at most
  ``TOLERANCE`` x what one plan from the episode's first snapshot needed, plus what genuine price
  moves since then required (``needed_notional``).
- **Every withdrawal counted exactly once** in every snapshot a round was planned from: at its
  source (not sent yet, or failed and refunded), at its destination (landed) or in transit;
  never twice, never nowhere (``counting_problems``). The truth comes from the simulator's own
  ledger: the starting balances, every trade with its time, every withdrawal with its history.

Both read what the daemon stored (each round's snapshot JSON, byte for byte) and what the
simulator logged; neither trusts the daemon's own account of what happened.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from rebalancer.codecs.snapshot_json import parse_snapshot
from rebalancer.core.planner import plan_rebalance
from rebalancer.domain.plan import Plan
from rebalancer.domain.policy import Policy
from rebalancer.domain.snapshot import Snapshot, VenueSnapshot
from rebalancer.persistence import open_store, sqlite_url
from rebalancer.settings import load_config
from tests.unit.planner.builders import final_balances

TOLERANCE = Decimal("1.1")
ZERO = Decimal(0)
WINDOW_MS = 10_000  # balances in a snapshot were read at most this long before it was frozen
PRICE_MOVE = Decimal("0.0001")  # mids moving less than this (relative) are the same level

Ledger = dict[tuple[str, str], list[tuple[int, Decimal]]]  # (venue, asset) -> (time, change)


@dataclass(frozen=True)
class Round:
    """One round the daemon planned: its run, number and the snapshot it planned from."""

    run_id: str
    number: int
    snapshot: Snapshot


@dataclass
class Episode:
    """What the daemon stored and the simulator logged."""

    rounds: list[Round]
    orders: list[dict[str, Any]]
    withdrawals: list[dict[str, Any]]
    initial: Mapping[str, Mapping[str, Decimal]]
    notes: list[str] = field(default_factory=list)


def read_episode(
    state_dir: Path,
    orders: list[dict[str, Any]],
    transfers: Mapping[str, list[dict[str, Any]]],
    initial: Mapping[str, Mapping[str, str]],
) -> Episode:
    """Every round of every run (oldest first) with the simulator's logs."""
    rounds = asyncio.run(_rounds(state_dir))
    starting = {v: {a: Decimal(x) for a, x in held.items()} for v, held in initial.items()}
    return Episode(rounds, orders, list(transfers["withdrawals"]), starting)


async def _rounds(state_dir: Path) -> list[Round]:
    store = await open_store(sqlite_url(state_dir))
    try:
        found: list[tuple[datetime, int, Round]] = []
        for run in await store.list_runs(limit=1000):
            for saved in await store.rounds_for_run(run.id):
                snapshot = parse_snapshot(saved.snapshot_json)
                found.append((run.created_at, saved.round, Round(run.id, saved.round, snapshot)))
        return [item for *_, item in sorted(found, key=lambda f: (f[0], f[1]))]
    finally:
        await store.close()


# -- traded vs needed -------------------------------------------------------------------------


def traded_notional(orders: Iterable[Mapping[str, Any]]) -> Decimal:
    """The quote value every order on every venue filled."""
    return sum((Decimal(o["cost"]) for o in orders), ZERO)


def plan_notional(plan: Plan) -> Decimal:
    """What a plan's orders trade, at their planned prices."""
    return sum((o.amount * o.price for o in plan.orders), ZERO)


@dataclass(frozen=True)
class Needed:
    """One plan from the first snapshot, and what each later price level required on top."""

    first: Decimal
    price_moves: Decimal

    @property
    def total(self) -> Decimal:
        """Everything the episode needed to trade."""
        return self.first + self.price_moves


def needed_notional(episode: Episode, policy: Policy) -> Needed:
    """Plan the first snapshot; then, at each later price level, plan the portfolio that plan
    would have left, re-priced: what the price move itself asks for."""
    if not episode.rounds:
        return Needed(ZERO, ZERO)
    first = episode.rounds[0].snapshot
    plan = plan_rebalance(first, policy)
    needed = plan_notional(plan)
    holdings = _after(plan, first)
    level = _mids(first)
    moves = ZERO
    for saved in episode.rounds[1:]:
        mids = _mids(saved.snapshot)
        if not _moved(level, mids):
            continue
        level = mids
        ideal = _with_balances(saved.snapshot, holdings)
        step = plan_rebalance(ideal, policy)
        moves += plan_notional(step)
        holdings = _after(step, ideal)
    return Needed(needed, moves)


def _mids(snapshot: Snapshot) -> dict[tuple[str, str], Decimal]:
    return {
        (venue, symbol): listed.quote.mid
        for venue, state in snapshot.venues.items()
        for symbol, listed in state.markets.items()
    }


def _moved(old: Mapping[tuple[str, str], Decimal], new: Mapping[tuple[str, str], Decimal]) -> bool:
    return any(
        key in old and old[key] and abs(new[key] - old[key]) / old[key] > PRICE_MOVE for key in new
    )


def _after(plan: Plan, snapshot: Snapshot) -> dict[tuple[str, str], Decimal]:
    """Balances once the plan ran at its planned prices, with what was in transit landed."""
    balances = dict(final_balances(plan, snapshot))
    for moving in snapshot.in_transit:
        key = (moving.destination, moving.asset)
        balances[key] = balances.get(key, ZERO) + moving.amount
    return balances


def _with_balances(snapshot: Snapshot, balances: Mapping[tuple[str, str], Decimal]) -> Snapshot:
    venues = {
        name: VenueSnapshot(
            {a: x for (v, a), x in balances.items() if v == name and x > 0}, state.markets
        )
        for name, state in snapshot.venues.items()
    }
    return replace(snapshot, venues=venues, in_transit=())


# -- every withdrawal counted once --------------------------------------------------------------


def _ledger(episode: Episode) -> Ledger:
    """Every change to every (venue, asset) balance the simulator made, with its time."""
    ledger: Ledger = defaultdict(list)
    for order in episode.orders:
        base, _, quote = order["symbol"].partition("/")
        sign = 1 if order["side"] == "buy" else -1
        for trade in order["trades"]:
            at = int(trade["time_ms"])
            ledger[(order["venue"], base)].append((at, sign * Decimal(trade["amount"])))
            cost = Decimal(trade["price"]) * Decimal(trade["amount"])
            ledger[(order["venue"], quote)].append((at, -sign * cost))
            fee = Decimal(trade["fee"])
            if fee:
                ledger[(order["venue"], trade["fee_asset"])].append((at, -fee))
    for w in episode.withdrawals:
        amount = Decimal(w["amount"])
        history = {state: int(at) for state, at in w["history"]}
        ledger[(w["venue"], w["asset"])].append((history["pending"], -amount))
        if "failed" in history:
            ledger[(w["venue"], w["asset"])].append((history["failed"], amount))
        if "completed" in history and w["destination_venue"]:
            arrived = amount - Decimal(w["fee"])
            ledger[(w["destination_venue"], w["asset"])].append((history["completed"], arrived))
    return ledger


def _matching_times(
    start: Decimal, changes: Sequence[tuple[int, Decimal]], claim: Decimal, lo: int, hi: int
) -> list[tuple[int, int]]:
    """The time spans within [lo, hi] in which the ledger's balance equals ``claim``."""
    changes = sorted(changes)
    balance = start + sum((c for at, c in changes if at <= lo), ZERO)
    spans: list[tuple[int, int]] = []
    begin = lo
    for at, change in changes:
        if at <= lo:
            continue
        if at > hi:
            break
        if balance == claim:
            spans.append((begin, at - 1))
        balance += change
        begin = at
    if balance == claim:
        spans.append((begin, hi))
    return spans


def _side(spans: list[tuple[int, int]], event: int | None) -> bool | None:
    """True if ``event`` happened by every matching time, False if by none, None if unsure."""
    if event is None:
        return False
    after = all(lo >= event for lo, _ in spans)
    before = all(hi < event for _, hi in spans)
    return True if after else False if before else None


def counting_problems(episode: Episode, window_ms: int = WINDOW_MS) -> list[str]:
    """Every snapshot in which a withdrawal counts twice or nowhere (empty: all held)."""
    ledger = _ledger(episode)
    problems: list[str] = []
    for saved in episode.rounds:
        problems += _check_snapshot(episode, ledger, saved, window_ms)
    return problems


def _check_snapshot(episode: Episode, ledger: Ledger, saved: Round, window_ms: int) -> list[str]:
    snapshot = saved.snapshot
    taken = int(snapshot.taken_at.timestamp() * 1000)
    where = f"run {saved.run_id} round {saved.number}"
    spans: dict[tuple[str, str], list[tuple[int, int]]] = {}
    problems: list[str] = []
    for w in episode.withdrawals:
        for venue in (w["venue"], w["destination_venue"]):
            key = (venue, w["asset"])
            if key in spans or venue not in snapshot.venues:
                continue
            claim = snapshot.venue(venue).balance(w["asset"])
            start = episode.initial.get(venue, {}).get(w["asset"], ZERO)
            found = _matching_times(start, ledger[key], claim, taken - window_ms, taken)
            if not found:
                problems.append(f"{where}: {venue} {w['asset']} {claim} matches no ledger state")
            spans[key] = found
    listed = list(snapshot.in_transit)
    for w in episode.withdrawals:
        source, destination = (w["venue"], w["asset"]), (w["destination_venue"], w["asset"])
        if not spans.get(source) or not spans.get(destination):
            continue
        history = {state: int(at) for state, at in w["history"]}
        left = _side(spans[source], history["pending"])
        refunded = _side(spans[source], history.get("failed"))
        landed = _side(spans[destination], history.get("completed"))
        if None in (left, refunded, landed):
            continue  # the event fell inside the read: no verdict either way
        arriving = Decimal(w["amount"]) - Decimal(w["fee"])
        entry = next(
            (
                t
                for t in listed
                if (t.asset, t.source, t.destination, t.amount)
                == (w["asset"], w["venue"], w["destination_venue"], arriving)
            ),
            None,
        )
        if entry is not None:
            listed.remove(entry)
        counted = int(not left or bool(refunded)) + int(bool(landed)) + int(entry is not None)
        if counted != 1:
            places = f"at source {not left or refunded}, landed {landed}, in transit {entry}"
            problems.append(f"{where}: withdrawal {w['id']} counted {counted} times ({places})")
    problems += [f"{where}: in transit {phantom} matches no withdrawal" for phantom in listed]
    return problems


def policy_of(config: Path, portfolio: str = "core") -> Policy:
    """The portfolio's policy as the daemon reads it from ``config``."""
    return load_config(config, env={}).policy(portfolio)


def report(episode: Episode, policy: Policy) -> dict[str, Any]:
    """The figures a campaign reports for one episode."""
    needed = needed_notional(episode, policy)
    traded = traded_notional(episode.orders)
    return {
        "traded": str(traded),
        "needed_first": str(needed.first),
        "needed_price_moves": str(needed.price_moves),
        "ratio": str((traded / needed.total).quantize(Decimal("0.001"))) if needed.total else None,
        "counting_problems": counting_problems(episode),
    }


def dumps(value: Any) -> str:
    """JSON with Decimals as strings."""
    return json.dumps(value, default=str, indent=1)


def check_episode(
    state_dir: Path,
    config: Path,
    orders: list[dict[str, Any]],
    transfers: Mapping[str, list[dict[str, Any]]],
    initial: Mapping[str, Mapping[str, str]],
) -> dict[str, Any]:
    """Both invariants for one episode: a report, with ``problems`` listing what broke."""
    episode = read_episode(state_dir, orders, transfers, initial)
    figures = report(episode, policy_of(config))
    problems = list(figures["counting_problems"])
    needed = Decimal(figures["needed_first"]) + Decimal(figures["needed_price_moves"])
    traded = Decimal(figures["traded"])
    if traded > TOLERANCE * needed:
        problems.append(f"traded {traded}, more than {TOLERANCE} x the {needed} needed")
    figures["problems"] = problems
    return figures
