"""An alert or a reply as a sink-neutral value, and the plain-text form every sink can fall
back on. Telegram, Slack and the webhook each format it their own way."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Action(enum.StrEnum):
    """What a button under a message does."""

    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class Button:
    """A button that approves or rejects one run."""

    action: Action
    run_id: str

    @property
    def label(self) -> str:
        """What the button says."""
        return "Approve" if self.action is Action.APPROVE else "Reject"

    @property
    def data(self) -> str:
        """What the chat sends back when it is pressed (``approve:3f9a0c2d1e``)."""
        return f"{self.action.value}:{self.run_id}"

    @classmethod
    def parse(cls, data: str) -> Button | None:
        """The button ``data`` came from (None: not one of ours)."""
        action, _, run_id = data.partition(":")
        if action not in {a.value for a in Action} or not run_id:
            return None
        return cls(Action(action), run_id)


@dataclass(frozen=True, slots=True)
class Message:
    """What a person reads: a headline (what happened, in one line), detail lines, a table of
    weights against targets and bands, the next steps (commands to type), and buttons."""

    headline: str
    details: tuple[str, ...] = ()
    table: tuple[str, ...] = ()  # pre-aligned lines, shown in a fixed-width font
    next_steps: tuple[str, ...] = ()  # commands, shown as code
    buttons: tuple[Button, ...] = ()
    critical: bool = False
    name: str = "Reply"  # the event's name, or "Reply" for an answer to a command
    event_id: int | None = None  # the event's log id (None: a reply)
    lifecycle: str = ""  # the webhook's type (run.filled ...); empty for a reply
    fields: dict[str, object] = field(default_factory=dict)  # the event as JSON (webhook)

    def plain_text(self) -> str:
        """The whole message as plain text (logs, notification previews, fall-backs)."""
        lines = [self.headline, *self.details]
        if self.table:
            lines += ["", *self.table]
        if self.next_steps:
            lines += ["", "Next:", *(f"  {step}" for step in self.next_steps)]
        return "\n".join(lines)
