"""The chat commands, for Telegram and Slack alike, carried out through ``services.operations``.

``/status [P]``, ``/runs [P]``, ``/run P [full|invest_cash [AMOUNT]|withdraw AMOUNT|liquidate]``,
``/approve ID``, ``/reject ID [REASON]``, ``/pause P [REASON]``, ``/unpause P``,
``/resume REASON``, ``/setasides P``, ``/release P ID [REASON]``, ``/help``. The chat
transports check that a command comes from an allow-listed chat before it gets here; this
module adds the guards on what trades or re-arms (``Guards``: ``/run``, ``/resume``, and
``/approve`` above the configured notional are off unless the config allows them; like
``/unpause``, ``/release`` only lets a later run trade, so the allow-list is its guard) and
writes every command to the event log (``CommandReceived``: who, through which chat, what, and
whether it was done). It implements no rule of its own: a refusal is the operation's own
sentence (a second ``/release`` of one set-aside: "already released by ... at ...").
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.alerting.formatting import amount
from rebalancer.alerting.hints import Guards
from rebalancer.alerting.message import Action, Message
from rebalancer.alerting.render import PortfolioLookup
from rebalancer.alerting.status_text import portfolio_status, runs_lines, set_aside_lines
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.events import CommandReceived, RunAwaitingApproval
from rebalancer.domain.money import to_decimal
from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import Policy
from rebalancer.domain.records import RecordNotFound
from rebalancer.domain.requests import RunRequest
from rebalancer.domain.snapshot import Snapshot
from rebalancer.services import operations

log = logging.getLogger(__name__)

RUNS_SHOWN = 5
HELP = (
    ("status [P]", "breaker, venues and each portfolio's weights against targets and bands"),
    ("runs [P]", f"the last {RUNS_SHOWN} runs"),
    ("run P [full|invest_cash [AMOUNT]|withdraw AMOUNT|liquidate]", "ask for a one-off run"),
    ("approve ID", "approve a run waiting for approval (also its Approve button)"),
    ("reject ID [REASON]", "reject a waiting run (also its Reject button)"),
    ("pause P [REASON]", "stop trading a portfolio (it is still watched)"),
    ("unpause P", "let a paused portfolio trade again"),
    ("resume REASON", "re-arm the circuit breaker after a halt"),
    ("setasides P", "the cash set aside for withdrawals: id, venue, amount, since, expiry"),
    ("release P ID [REASON]", "give a set-aside back to the portfolio (a run may invest it)"),
    ("help", "this list"),
)


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sent a command and from where: ``channel`` (telegram, slack), user and chat."""

    channel: str
    user: str
    chat: str

    @property
    def by(self) -> str:
        """The operator name actions are recorded under (``telegram:@alice``)."""
        return f"{self.channel}:{self.user}"


@dataclass(frozen=True, slots=True)
class CommandContext:
    """What the commands read and act on; the runtime hands over the running daemon's parts."""

    desk: operations.Desk
    policies: Callable[[], Mapping[str, Policy]]
    lookup: PortfolioLookup
    snapshot: Callable[[Policy], Snapshot | None]  # live holdings to check an amount against
    guards: Guards
    chat_command: Callable[..., str]  # how this chat writes a command (/approve 42)


class Refused(Exception):
    """A command that cannot be carried out; the message says why."""


class CommandDesk:
    """Parses and carries out commands; every one is logged as ``CommandReceived``."""

    def __init__(self, context: CommandContext) -> None:
        self._context = context
        self._handlers: Mapping[str, Callable[[list[str], Sender], Awaitable[Message]]] = {
            "status": self._status,
            "runs": self._runs,
            "run": self._run,
            "approve": self._approve,
            "reject": self._reject,
            "pause": self._pause,
            "unpause": self._unpause,
            "resume": self._resume,
            "setasides": self._set_asides,
            "set_asides": self._set_asides,  # as a Telegram command may be written
            "release": self._release,
            "help": self._help,
            "start": self._help,  # what Telegram sends when a person first opens the bot
        }

    async def handle(self, text: str, sender: Sender) -> Message:
        """Carry out ``text`` (``/approve 42``, or ``approve 42``) and return the reply."""
        words = text.strip().split()
        if not words:
            return await self._help([], sender)
        verb = words[0].lstrip("/").split("@", 1)[0].lower()  # /approve@MyBot in groups
        handler = self._handlers.get(verb)
        if handler is None:
            reply = Message(
                f"Unknown command {words[0]!r}.",
                next_steps=(self._context.chat_command("help"),),
            )
            await self._record(sender, text, accepted=False, detail="unknown command")
            return reply
        try:
            reply = await handler(words[1:], sender)
        except (Refused, operations.OperationRefused) as refused:
            await self._record(sender, text, accepted=False, detail=str(refused))
            return Message(f"❌ {refused}")
        await self._record(sender, text, accepted=True, detail=reply.headline)
        return reply

    async def press(self, data: str, sender: Sender) -> Message:
        """A button was pressed (``approve:ID`` / ``reject:ID``)."""
        action, _, run_id = data.partition(":")
        if action not in (Action.APPROVE.value, Action.REJECT.value) or not run_id:
            return Message(f"Unknown button {data!r}.")
        return await self.handle(f"/{action} {run_id}", sender)

    async def _record(self, sender: Sender, text: str, *, accepted: bool, detail: str) -> None:
        desk = self._context.desk
        log.info(
            "command from %s via %s: %s (%s)",
            sender.by,
            sender.channel,
            text,
            "done" if accepted else f"refused: {detail}",
        )
        await desk.events.publish(
            CommandReceived(
                at=desk.clock.now(),
                by=sender.by,
                channel=sender.channel,
                command=text.strip()[:200],
                accepted=accepted,
                detail=detail[:500],
            )
        )

    # -- reading -------------------------------------------------------------------------

    async def _status(self, args: list[str], sender: Sender) -> Message:
        del sender
        policies = self._context.policies()
        names = [self._policy(args[0]).name] if args else list(policies)
        record = await self._context.desk.store.get_breaker()
        state = record.state if record is not None else BreakerState.ACTIVE
        details: list[str] = []
        table: list[str] = []
        for name in names:
            standing = await self._context.lookup(name)
            paused = await operations.paused(self._context.desk.store, name)
            line, rows = portfolio_status(name, standing, paused)
            details.append(line)
            table += [*rows, ""] if len(names) > 1 else rows
        steps: tuple[str, ...] = ()
        if state is not BreakerState.ACTIVE and self._context.guards.allow_resume:
            steps = (self._context.chat_command("resume", "WHY"),)
        mark = "✅" if state is BreakerState.ACTIVE else "🛑"
        return Message(
            f"{mark} Breaker {state.value}",
            details=tuple(details),
            table=tuple(table[:-1] if table and not table[-1] else table),
            next_steps=steps,
        )

    async def _runs(self, args: list[str], sender: Sender) -> Message:
        del sender
        name = self._policy(args[0]).name if args else None
        runs = await self._context.desk.store.list_runs(name, RUNS_SHOWN)
        if not runs:
            return Message("No runs yet" + (f" for {name}." if name else "."))
        return Message(f"Last {len(runs)} run(s)", table=runs_lines(runs))

    async def _set_asides(self, args: list[str], sender: Sender) -> Message:
        del sender
        name = _one_id(args, "setasides P")
        items = await operations.set_asides_of(self._context.desk, self._context.policies(), name)
        if not items:
            return Message(f"No cash set aside in {name}.")
        example = items[0].id if len(items) == 1 else "ID"
        return Message(
            f"💵 {name}: {len(items)} set-aside(s), held out for withdrawals",
            details=("Times in UTC. Each ends when its cash leaves the venue, or is released.",),
            table=set_aside_lines(items),
            next_steps=(self._context.chat_command("release", name, example),),
        )

    async def _help(self, args: list[str], sender: Sender) -> Message:
        del args, sender
        guards = self._context.guards
        off = {
            "run": not guards.allow_run,
            "resume": not guards.allow_resume,
            "approve": guards.approve_max_notional is None,
        }
        lines = []
        for usage, what in HELP:
            verb = usage.split()[0]
            lines.append(
                f"{self._context.chat_command(*usage.split())}: {what}"
                + (" (off in this config)" if off.get(verb) else "")
            )
        return Message("Commands", details=tuple(lines))

    # -- acting ----------------------------------------------------------------------------

    async def _run(self, args: list[str], sender: Sender) -> Message:
        if not self._context.guards.allow_run:
            raise Refused("/run is off: set [alerts.commands] allow_run = true to allow it")
        if not args:
            raise Refused("usage: run P [full|invest_cash [AMOUNT]|withdraw AMOUNT|liquidate]")
        policy = self._policy(args[0])
        request = _run_request(policy.name, args[1:])
        policies = self._context.policies()
        accepted = await operations.request_run(
            self._context.desk,
            policies,
            request,
            by=sender.by,
            snapshot=self._context.snapshot(policy),
        )
        run = accepted.run
        return Message(
            f"Run {run.id} requested: {operations.describe_request(request)} on {run.portfolio}",
            details=("The daemon takes it within a second.", *accepted.notes),
        )

    async def _approve(self, args: list[str], sender: Sender) -> Message:
        run_id = _one_id(args, "approve ID")
        try:
            run = await self._context.desk.store.get_run(run_id)
        except RecordNotFound:
            raise operations.RunNotFound(f"no run {run_id}") from None
        notional = await _awaiting_notional(self._context, run_id)
        guards = self._context.guards
        if not guards.may_approve(notional):
            policy = self._context.policies().get(run.portfolio)
            quote = policy.quote if policy is not None else ""
            raise Refused(f"not approved from chat: {guards.approve_refusal(notional, quote)}")
        approved = await operations.approve_run(self._context.desk, run_id, by=sender.by)
        return Message(
            f"👍 Run {approved.id} approved",
            details=("It is planned afresh and carried out within a second.",),
        )

    async def _reject(self, args: list[str], sender: Sender) -> Message:
        if not args:
            raise Refused("usage: reject ID [REASON]")
        reason = " ".join(args[1:])
        run = await operations.reject_run(self._context.desk, args[0], by=sender.by, reason=reason)
        return Message(f"⏹ Run {run.id} rejected", details=("Nothing was traded.",))

    async def _pause(self, args: list[str], sender: Sender) -> Message:
        if not args:
            raise Refused("usage: pause P [REASON]")
        reason = " ".join(args[1:]) or f"paused from {sender.channel}"
        record = await operations.pause(
            self._context.desk, self._context.policies(), args[0], by=sender.by, reason=reason
        )
        return Message(
            f"⏸ {record.portfolio} paused",
            details=("It is still watched and reported, never traded.",),
            next_steps=(self._context.chat_command("unpause", record.portfolio),),
        )

    async def _unpause(self, args: list[str], sender: Sender) -> Message:
        if not args:
            raise Refused("usage: unpause P")
        record = await operations.unpause(
            self._context.desk, self._context.policies(), args[0], by=sender.by
        )
        return Message(
            f"▶️ {record.portfolio} unpaused", details=("It trades again from its next check.",)
        )

    async def _resume(self, args: list[str], sender: Sender) -> Message:
        if not self._context.guards.allow_resume:
            raise Refused("/resume is off: set [alerts.commands] allow_resume = true to allow it")
        reason = " ".join(args)
        result = await operations.resume_breaker(self._context.desk, by=sender.by, reason=reason)
        if not result.changed:
            return Message("The breaker is already ACTIVE; nothing to resume.")
        return Message(
            f"🔓 Breaker {result.before.value} → {result.after.value}",
            details=("The daemon adopts it at its next check.",),
        )

    async def _release(self, args: list[str], sender: Sender) -> Message:
        if len(args) < 2:
            raise Refused("usage: release P ID [REASON]")
        name, set_aside_id = args[0], args[1]
        reason = " ".join(args[2:]) or f"released from {sender.channel}"
        item = await operations.release_set_aside(
            self._context.desk,
            self._context.policies(),
            name,
            set_aside_id,
            by=sender.by,
            reason=reason,
        )
        return Message(
            f"↩️ Set-aside {item.id} released: {amount(item.amount, item.asset)} on "
            f"{item.venue} is {item.portfolio}'s cash again",
            details=("It counts from the next check; the next run may invest it.",),
        )

    def _policy(self, name: str) -> Policy:
        return operations.policy_of(self._context.policies(), name)


def _one_id(args: list[str], usage: str) -> str:
    if len(args) != 1:
        raise Refused(f"usage: {usage}")
    return args[0]


def _run_request(portfolio: str, args: list[str]) -> RunRequest:
    """``[full|invest_cash [AMOUNT]|withdraw AMOUNT|liquidate]`` as a request (default full)."""
    if not args:
        return RunRequest(portfolio, RunType.FULL)
    kinds = {kind.value: kind for kind in RunType}
    kind = kinds.get(args[0].lower())
    if kind is None:
        raise Refused(f"run type: expected one of {', '.join(kinds)}, got {args[0]!r}")
    if len(args) > 2:
        raise Refused("usage: run P [full|invest_cash [AMOUNT]|withdraw AMOUNT|liquidate]")
    amount = None
    if len(args) == 2:
        try:
            amount = to_decimal(args[1].replace(",", ""))
        except InvalidValue:
            raise Refused(f"amount: expected a number such as 5000, got {args[1]!r}") from None
    return RunRequest(portfolio, kind, amount)


async def _awaiting_notional(context: CommandContext, run_id: str) -> Decimal | None:
    """What the waiting run's plan trades, from its ``RunAwaitingApproval`` event."""
    for record in reversed(await context.desk.store.events(run_id, limit=200)):
        if record.kind == RunAwaitingApproval.__name__:
            value = record.payload.get("notional")
            if value is None:
                return None
            try:
                return to_decimal(str(value))
            except InvalidValue:
                return None
    return None
