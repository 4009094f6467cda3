"""Messages about runs, orders and transfers."""

from __future__ import annotations

from rebalancer.alerting.formatting import amount, money, percent, price, when
from rebalancer.alerting.message import Action, Button, Message
from rebalancer.alerting.scene import Scene
from rebalancer.domain.events import (
    OrderFailed,
    OrderFilled,
    OrderPlaced,
    RoundPlanned,
    RunApproved,
    RunAwaitingApproval,
    RunCancelled,
    RunEnded,
    RunRejected,
    RunRequested,
    RunTriggered,
    TransferArrived,
    TransferLate,
    TransferSent,
)
from rebalancer.domain.market import OrderSide
from rebalancer.domain.runs import RunStatus

_ENDED_MARK = {
    RunStatus.FILLED: "✅",
    RunStatus.PARTIALLY_FILLED: "⚠️",
    RunStatus.FAILED: "❌",
    RunStatus.CANCELLED: "⏹",
}


_RUN_WORDS = {
    "full": "rebalance",
    "invest_cash": "invest cash",
    "withdraw": "withdraw",
    "liquidate": "liquidate",
}


def _run_words(run_type: str, amount_text: str | None) -> str:
    """``withdraw 5,000.00 USDT``, ``rebalance``."""
    words = _RUN_WORDS.get(run_type, run_type.replace("_", " "))
    return f"{words} {amount_text}" if amount_text else words


def run_triggered(event: RunTriggered, scene: Scene) -> Message:
    """A run started."""
    size = money(event.amount, scene.quote) if event.amount is not None else None
    return Message(
        f"▶️ {event.portfolio}: run {event.run_id} started: "
        f"{_run_words(event.run_type.value, size)} ({event.trigger.value})",
        details=(event.reason, scene.standing) if scene.standing else (event.reason,),
        table=scene.table,
        next_steps=(scene.hints.chat_or_shell(("runs", str(event.portfolio)), ("runs",)),),
    )


def run_requested(event: RunRequested, scene: Scene) -> Message:
    """Someone asked for a run."""
    size = money(event.amount, scene.quote) if event.amount is not None else None
    where = f" at {event.venue}" if event.venue else ""
    return Message(
        f"{event.portfolio}: run {event.run_id} requested by {event.by}: "
        f"{_run_words(event.run_type.value, size)}{where}",
        details=("The daemon takes it within a second.",),
    )


def run_awaiting_approval(event: RunAwaitingApproval, scene: Scene) -> Message:
    """A run waits for a person: what it trades, the weights, how to decide."""
    hints = scene.hints
    notional = money(event.notional, scene.quote)
    details = [
        f"Round {event.round} trades {notional}." + (f" {event.reason}" if event.reason else "")
    ]
    buttons = []
    if hints.chat is not None:
        if hints.guards.may_approve(event.notional):
            buttons.append(Button(Action.APPROVE, str(event.run_id)))
        else:
            details.append(
                "Not approvable from chat: "
                + hints.guards.approve_refusal(event.notional, scene.quote)
            )
        buttons.append(Button(Action.REJECT, str(event.run_id)))
    if scene.standing:
        details.append(scene.standing[:1].upper() + scene.standing[1:])
    return Message(
        f"⏸ {event.portfolio}: run {event.run_id} waits for approval ({notional})",
        details=tuple(details),
        table=scene.table,
        next_steps=hints.approve(str(event.run_id), event.notional),
        buttons=tuple(buttons),
    )


def run_approved(event: RunApproved, scene: Scene) -> Message:
    """A waiting run was approved."""
    del scene
    return Message(
        f"👍 {event.portfolio}: run {event.run_id} approved by {event.by}",
        details=("It is planned afresh and carried out within a second.",),
    )


def run_rejected(event: RunRejected | RunCancelled, scene: Scene) -> Message:
    """A run was rejected or cancelled before it traded."""
    del scene
    verb = "rejected" if isinstance(event, RunRejected) else "cancelled"
    why = f": {event.reason}" if event.reason else ""
    return Message(
        f"⏹ {event.portfolio}: run {event.run_id} {verb} by {event.by}{why}",
        details=("Nothing was traded.",),
    )


def round_planned(event: RoundPlanned, scene: Scene) -> Message:
    """A round was planned and starts executing."""
    parts = [f"{event.orders} order(s)", f"{event.transfers} transfer(s)"]
    if event.notional is not None:
        parts.append(f"trading {money(event.notional, scene.quote)}")
    if event.estimated_cost is not None:
        parts.append(f"estimated cost {money(event.estimated_cost, scene.quote)}")
    return Message(f"{event.portfolio}: run {event.run_id} round {event.round}: {', '.join(parts)}")


def _pair(symbol: str) -> tuple[str, str]:
    base, _, quote = symbol.partition("/")
    return base, quote


def order_placed(event: OrderPlaced, scene: Scene) -> Message:
    """A venue acknowledged an order."""
    del scene
    base, quote = _pair(event.symbol)
    how = f"limit {price(event.price)} {quote}" if event.price is not None else "market"
    return Message(
        f"{event.portfolio}: run {event.run_id}: {event.side.value} {amount(event.amount, base)} "
        f"on {event.venue} ({how}) placed",
        details=(f"client order id {event.client_order_id}",),
    )


def order_filled(event: OrderFilled, scene: Scene) -> Message:
    """An order filled (all or part)."""
    del scene
    base, quote = _pair(event.symbol)
    verb = "bought" if event.side is OrderSide.BUY else "sold"
    part = "" if event.filled >= event.amount else f" of {amount(event.amount, base)}"
    fee = f", fee {amount(event.fee, event.fee_asset or quote)}" if event.fee is not None else ""
    return Message(
        f"{event.portfolio}: run {event.run_id}: {verb} {amount(event.filled, base)}{part} at "
        f"{price(event.average_price)} {quote} on {event.venue}",
        details=(f"slippage {event.slippage_bps.normalize():f} bps{fee}",),
    )


def order_failed(event: OrderFailed, scene: Scene) -> Message:
    """An order ended short of its amount."""
    base, _ = _pair(event.symbol)
    return Message(
        f"❌ {event.portfolio}: run {event.run_id}: {event.side.value} "
        f"{amount(event.requested, base)} on {event.venue} failed: {event.reason}",
        details=(f"filled {amount(event.filled, base)} of {amount(event.requested, base)}",),
        next_steps=(scene.hints.shell("runs", "show", str(event.run_id)),),
    )


def transfer_sent(event: TransferSent, scene: Scene) -> Message:
    """A withdrawal left its venue."""
    del scene
    fee = f", fee {amount(event.fee, event.asset)}" if event.fee is not None else ""
    return Message(
        f"{event.portfolio}: run {event.run_id}: {amount(event.amount, event.asset)} sent "
        f"{event.source} → {event.destination} over {event.network}{fee}"
    )


def transfer_arrived(event: TransferArrived, scene: Scene) -> Message:
    """A transfer was credited."""
    del scene
    return Message(
        f"{event.portfolio}: run {event.run_id}: {amount(event.amount, event.asset)} arrived at "
        f"{event.destination} from {event.source}"
    )


def transfer_late(event: TransferLate, scene: Scene) -> Message:
    """A transfer missed its deadline: trading halts; a person must look."""
    due = f" (due {when(event.deadline)})" if event.deadline is not None else ""
    return Message(
        f"🚨 {event.portfolio}: {amount(event.amount, event.asset)} from {event.source} to "
        f"{event.destination} is late{due}",
        details=(
            f"Transfer {event.transfer_id} of run {event.run_id}. The breaker halts trading; "
            "the transfer is still being followed and counts once it arrives.",
            f"Check the withdrawal on {event.source} and the deposit on {event.destination}.",
        ),
        table=scene.table,
        next_steps=(scene.hints.shell("runs", "show", str(event.run_id)), *scene.hints.resume()),
        critical=True,
    )


def run_ended(event: RunEnded, scene: Scene) -> Message:
    """A run reached its final status: what it traded and cost, where the weights are now."""
    mark = _ENDED_MARK.get(event.status, "")
    details = [
        f"Traded {money(event.traded, scene.quote)} in {event.rounds} round(s), fees "
        f"{money(event.cost, scene.quote)}."
        if event.traded or event.rounds
        else "Nothing needed trading."
    ]
    if event.residual is not None:
        where = {True: "inside its bands", False: "outside its bands", None: ""}[event.inside_bands]
        details.append(
            f"Largest distance from target now {percent(event.residual)[:-1]} points"
            + (f", {where}." if where else ".")
        )
    if event.reason and event.status is not RunStatus.FILLED:
        details.append(event.reason)
    steps: tuple[str, ...] = ()
    if event.status in (RunStatus.FAILED, RunStatus.PARTIALLY_FILLED):
        steps = (scene.hints.shell("runs", "show", str(event.run_id)),)
    return Message(
        f"{mark} {event.portfolio}: run {event.run_id} {event.status.value}".strip(),
        details=tuple(details),
        table=scene.table,
        next_steps=steps,
    )
