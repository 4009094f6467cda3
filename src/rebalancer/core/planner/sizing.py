"""Stage 4b, transfer sizing: move only the cash a venue needs, and say what it is for.

The model charges a route's fee once, whatever it carries, so its answer may send more quote
than the destination needs (once 33,000 USDT to fund a 9,500 buy). Here each quote transfer is
resized to its destination's need after rounding: what the buys there spend, fees included,
with a ``BUY_BUFFER`` on top, plus what the venue sends on to others, plus its cash floor (the
reserve), less what it holds and raises by selling and what other transfers bring. A transfer
the destination does not need is dropped (its fee saved). Only a route's minimum withdrawal
(or twice its fee: no transfer costs more than it moves) makes one larger, and then the
transfer's purpose says so. Asset transfers are left as they are.

Where the model sends quote to one venue from several sources, one transfer is enough when its
source can spare the whole need: the cheapest such route carries it and the others are dropped
(two transfers pay two fees, and a route's minimum could bring far more than needed).

Venues are settled again until nothing changes, because a smaller transfer into a forwarding
venue is needed once what it sends on has shrunk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import ROUND_UP, Decimal

from rebalancer.core.planner.draft import Draft, Transfer, cash_after
from rebalancer.core.planner.problem import Problem
from rebalancer.core.planner.rounding import TRANSFER_STEP
from rebalancer.domain.market import OrderSide
from rebalancer.domain.money import ZERO, format_decimal

CENTS = Decimal("0.01")
# what a destination gets on top of its buys' cost: half a percent covers the fee a venue may
# take from the asset bought (0.1 %) and a price that moves while the cash travels, so the buys
# need no second transfer (whose fee and minimum would cost more than the buffer's idle cash)
BUY_BUFFER = Decimal("0.005")


def size_transfers(
    draft: Draft,
    problem: Problem,
    floors: Mapping[str, Decimal],
    *,
    grow: bool = True,
    floor_names: Mapping[str, str] | None = None,
) -> Draft:
    """Resize every quote transfer to its destination's need (``grow`` off: only smaller),
    then note its purpose (``floor_names``: what a venue's floor is, when not its reserve)."""
    for _ in range(len(draft.transfers) + 1):
        sized = size_once(draft, problem, floors, grow=grow)
        if sized == draft:
            break
        draft = sized
    names = floor_names or {}
    notes = tuple(
        replace(t, purpose=purpose(t, draft, problem, floors, names)) for t in draft.transfers
    )
    return replace(draft, transfers=notes)


def size_once(
    draft: Draft, problem: Problem, floors: Mapping[str, Decimal], *, grow: bool
) -> Draft:
    """One pass over the destinations in venue order: the largest incoming quote transfer
    brings what the destination lacks without it (with the buffer), or nothing."""
    quote = problem.quote
    transfers = list(draft.transfers)
    for venue in problem.venues:
        incoming = [
            i
            for i, t in enumerate(transfers)
            if (t.route.asset, t.route.destination) == (quote, venue)
        ]
        if not incoming:
            continue
        current = replace(draft, transfers=tuple(t for t in transfers if t.amount > 0))
        several = len(incoming) > 1
        if several and consolidate(transfers, incoming, current, problem, floors, grow=grow):
            continue
        index = max(incoming, key=lambda i: (transfers[i].amount, transfers[i].route.key))
        # what the venue would have without this transfer, against its floor
        left = cash_after(current, problem, venue) - transfers[index].arrival
        lacking = floors.get(venue, ZERO) - left
        arrival = lacking + buffer(current, venue) if lacking > 0 else ZERO
        if arrival == transfers[index].arrival:
            continue
        sized = resized(transfers[index], arrival)
        if grow or sized.amount < transfers[index].amount:
            transfers[index] = sized
    kept = tuple(t for t in transfers if t.amount > 0)
    return replace(draft, transfers=kept)


def consolidate(
    transfers: list[Transfer],
    incoming: list[int],
    draft: Draft,
    problem: Problem,
    floors: Mapping[str, Decimal],
    *,
    grow: bool,
) -> bool:
    """Let the cheapest of several quote transfers into one venue bring all it lacks and drop
    the others, when its source can spare that; ``False`` (nothing changed) when none can."""
    venue = transfers[incoming[0]].route.destination
    brought = sum((transfers[i].arrival for i in incoming), ZERO)
    lacking = floors.get(venue, ZERO) - (cash_after(draft, problem, venue) - brought)
    arrival = lacking + buffer(draft, venue) if lacking > 0 else ZERO
    sized = {i: resized(transfers[i], arrival) for i in incoming}
    able = [
        i
        for i in incoming
        if sized[i].amount <= spare(transfers[i], draft, problem, floors)
        and (grow or sized[i].amount <= transfers[i].amount)
    ]
    if not able:
        return False
    chosen = min(able, key=lambda i: (sized[i].route.fee, sized[i].amount, sized[i].route.key))
    for i in incoming:
        transfers[i] = sized[i] if i == chosen else replace(transfers[i], amount=ZERO)
    return True


def spare(
    transfer: Transfer, draft: Draft, problem: Problem, floors: Mapping[str, Decimal]
) -> Decimal:
    """The most ``transfer`` may carry: what its source keeps after the draft, above its floor,
    plus what the transfer carries already."""
    source = transfer.route.source
    return cash_after(draft, problem, source) - floors.get(source, ZERO) + transfer.amount


def buys_cost(draft: Draft, venue: str) -> Decimal:
    """Quote the draft's buys on ``venue`` spend, fees included."""
    return sum(
        (-t.cash_flow for t in draft.trades if (t.market.venue, t.side) == (venue, OrderSide.BUY)),
        ZERO,
    )


def buffer(draft: Draft, venue: str) -> Decimal:
    """Room on top of the buys' cost for what moves while the cash travels: prices, and a fee
    the venue takes from the asset bought rather than from the cash."""
    return (buys_cost(draft, venue) * BUY_BUFFER).quantize(CENTS, rounding=ROUND_UP)


def resized(transfer: Transfer, arrival: Decimal) -> Transfer:
    """The transfer delivering ``arrival`` (on the step, rounded up), at least the route's
    minimum and twice its fee (no transfer costs more than it moves); a zero amount when
    nothing needs to arrive."""
    route = transfer.route
    if arrival <= 0:
        return replace(transfer, amount=ZERO)
    amount = (arrival + route.fee).quantize(TRANSFER_STEP, rounding=ROUND_UP)
    return replace(transfer, amount=max(amount, smallest(transfer)))


def smallest(transfer: Transfer) -> Decimal:
    """The least a transfer may carry: the route's minimum, and twice its fee."""
    return max(transfer.route.min_amount, 2 * transfer.route.fee)


def purpose(
    transfer: Transfer,
    draft: Draft,
    problem: Problem,
    floors: Mapping[str, Decimal],
    names: Mapping[str, str],
) -> str:
    """Why a transfer carries what it does, in the quote asset."""
    route, quote = transfer.route, problem.quote
    if route.asset != quote:
        return f"brings {route.asset} to {route.destination}, where it can be sold"
    venue = route.destination
    buys = buys_cost(draft, venue)
    sells = sum(
        (t.cash_flow for t in draft.trades if (t.market.venue, t.side) == (venue, OrderSide.SELL)),
        ZERO,
    )
    onward = sum(
        (t.amount for t in draft.transfers if (t.route.asset, t.route.source) == (quote, venue)),
        ZERO,
    )
    parts = []
    if buys:
        parts.append(f"buys there {money(buys)} with fees")
        parts.append(f"{money(buffer(draft, venue))} ({BUY_BUFFER:%} of them) for prices to move")
    if onward:
        parts.append(f"{money(onward)} sent on")
    floor = floors.get(venue, ZERO)
    if floor:
        parts.append(f"{names.get(venue, 'reserve')} {money(floor)}")
    on_hand = problem.held(quote, venue) + sells
    text = f"funds {venue}: " + ", ".join(parts or ["its cash floor"])
    if on_hand:
        text += f", less {money(on_hand)} on hand"
    extra = cash_after(draft, problem, venue) - floor - buffer(draft, venue)
    if transfer.amount == smallest(transfer) and extra > CENTS:
        text += (
            f"; the route's minimum is {money(smallest(transfer))}, so {money(extra)} more "
            "arrives than needed (still cheaper than trading where the cash is)"
        )
    return text


def money(amount: Decimal) -> str:
    """An amount for a purpose text, to two places."""
    return format_decimal(amount.quantize(CENTS))
