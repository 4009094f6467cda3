"""What to do next, as commands a person can type: in the chat the message came from, and at a
shell (``rebalancer ... --config FILE``, as the runtime renders it so it works as printed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.alerting.formatting import money


@dataclass(frozen=True, slots=True)
class Guards:
    """Which chat commands that trade or re-arm are allowed (``[alerts.commands]``)."""

    allow_run: bool = False
    allow_resume: bool = False
    approve_max_notional: Decimal | None = None  # None: no approvals from chat

    def may_approve(self, notional: Decimal | None) -> bool:
        """True when a chat may approve a run trading ``notional`` (None: not known)."""
        limit = self.approve_max_notional
        return limit is not None and notional is not None and notional <= limit

    def approve_refusal(self, notional: Decimal | None, quote: str) -> str:
        """Why a chat may not approve this run, and the key that would allow it."""
        limit = self.approve_max_notional
        if limit is None:
            return "approving from chat is off ([alerts.commands] approve_max_notional is not set)"
        if notional is None:
            return "the run's notional is not known here: approve it at a shell"
        return (
            f"it trades {money(notional, quote)}, above the chat approval limit of "
            f"{money(limit, quote)} ([alerts.commands] approve_max_notional)"
        )


@dataclass(frozen=True, slots=True)
class Hints:
    """Renders next steps for one sink: ``chat`` (None: the sink takes no commands)."""

    shell: Callable[..., str]
    chat: Callable[..., str] | None
    guards: Guards

    def approve(self, run_id: str, notional: Decimal | None) -> tuple[str, ...]:
        """How to approve or reject a waiting run."""
        steps: list[str] = []
        if self.chat is not None:
            if self.guards.may_approve(notional):
                steps.append(self.chat("approve", run_id))
            steps.append(self.chat("reject", run_id))
        steps.append(self.shell("approve", run_id))
        return tuple(steps)

    def resume(self) -> tuple[str, ...]:
        """How to re-arm the breaker once the cause is understood."""
        steps: list[str] = []
        if self.chat is not None and self.guards.allow_resume:
            steps.append(self.chat("resume", "WHY"))
        steps.append(self.shell("resume", "--reason", "WHY"))
        return tuple(steps)

    def chat_or_shell(self, chat_words: tuple[str, ...], shell_words: tuple[str, ...]) -> str:
        """The chat command when this sink takes commands, else the shell one."""
        if self.chat is not None:
            return self.chat(*chat_words)
        return self.shell(*shell_words)


def telegram_command(*words: str) -> str:
    """``/approve 3f9a0c2d1e`` (Telegram: one command per verb)."""
    verb, *rest = words
    return " ".join((f"/{verb}", *rest))


def slack_command(*words: str) -> str:
    """``/rebalancer approve 3f9a0c2d1e`` (Slack: one slash command, the verb after it)."""
    return " ".join(("/rebalancer", *words))
