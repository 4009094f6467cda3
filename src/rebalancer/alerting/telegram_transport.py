"""Telegram: messages as HTML with Approve/Reject buttons, sent with python-telegram-bot.

The library's errors become the outbox's: flood control (``RetryAfter``, HTTP 429) is
``RateLimited`` with the seconds Telegram asked for; a timeout, a lost connection or a server
error is ``TransientFailure``; a refusal (a bad token, a chat the bot may not write to, a
malformed message) is ``PermanentFailure``.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import warnings

# python-telegram-bot 22 reports durations (flood control's retry_after) as timedelta when
# opted in, and warns on every use otherwise; opt in before the library is imported.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import MessageLimit, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from rebalancer.alerting.message import Message
from rebalancer.alerting.outbox import (
    Outgoing,
    PermanentFailure,
    RateLimited,
    TransientFailure,
)

ELLIPSIS = "\n…"


def telegram_html(message: Message) -> str:
    """The message as Telegram HTML: a bold headline, a fixed-width table, commands as code."""
    parts = [f"<b>{_escape(message.headline)}</b>"]
    parts += [_escape(line) for line in message.details if line]
    if message.table:
        parts.append("<pre>" + _escape("\n".join(message.table)) + "</pre>")
    if message.next_steps:
        parts.append("Next: " + "  ".join(f"<code>{_escape(s)}</code>" for s in message.next_steps))
    text = "\n".join(parts)
    if len(text) > MessageLimit.MAX_TEXT_LENGTH:  # keep the headline; plain text fits better
        plain = _escape(message.plain_text())
        text = plain[: MessageLimit.MAX_TEXT_LENGTH - len(ELLIPSIS)] + ELLIPSIS
    return text


def keyboard(message: Message) -> InlineKeyboardMarkup | None:
    """The message's buttons in one row (None: it has none)."""
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in message.buttons]]
    )


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def retry_after_s(error: RetryAfter) -> float:
    """The seconds Telegram asked us to wait (the library's int-or-timedelta, read once)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)


def as_send_failure(error: TelegramError) -> Exception:
    """The outbox's failure for a library error (see the module doc)."""
    if isinstance(error, RetryAfter):
        return RateLimited(retry_after_s(error), f"Telegram flood control: {error}")
    if isinstance(error, BadRequest | Forbidden | InvalidToken | ChatMigrated):
        return PermanentFailure(f"Telegram refused it: {error}")
    if isinstance(error, NetworkError):  # timeouts, lost connections, 5xx
        return TransientFailure(f"Telegram unreachable: {error}")
    return TransientFailure(f"Telegram error: {error}")


class TelegramTransport:
    """Sends outbox messages through a bot (``destination`` is the chat id)."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, item: Outgoing) -> None:
        """Send one message; a ``SendFailure`` when it did not go."""
        message = item.message
        try:
            await self._bot.send_message(
                chat_id=int(item.destination),
                text=telegram_html(message),
                parse_mode=ParseMode.HTML,
                disable_notification=item.silent,
                reply_markup=keyboard(message),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except TelegramError as error:
            raise as_send_failure(error) from error
