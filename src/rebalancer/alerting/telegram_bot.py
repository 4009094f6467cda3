"""The Telegram bot: one python-telegram-bot ``Application`` that sends through our outbox and,
when commands are on, long-polls ``getUpdates`` (no public URL needed) for commands and the
Approve/Reject buttons.

Only allow-listed chats are obeyed. Anything from another chat is ignored, logged once per
chat, and written once to the event log (``CommandReceived``, not accepted). Updates that
queued up while the daemon was down are dropped at start: a command is carried out when it is
sent, never hours later. Start-up never blocks the daemon: reaching Telegram (``getMe``) is
retried in the background while alerts already queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from telegram import Update, User
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from rebalancer.alerting.commands import CommandDesk, Sender
from rebalancer.alerting.message import Message
from rebalancer.alerting.outbox import Outgoing
from rebalancer.domain.events import CommandReceived
from rebalancer.ports import Clock, EventSink

log = logging.getLogger(__name__)

LONG_POLL_S = 25  # how long Telegram holds one getUpdates open
START_BACKOFF_MAX_S = 60.0
CHANNEL = "telegram"

BotApp = Application[Any, Any, Any, Any, Any, Any]


def build_application(token: str, api_url: str, *, polling: bool) -> BotApp:
    """An Application on ``api_url`` (the Bot API or a self-hosted/fake server)."""
    base = api_url.rstrip("/")
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .request(
            HTTPXRequest(
                connection_pool_size=4,
                connect_timeout=10.0,
                read_timeout=20.0,
                write_timeout=20.0,
                pool_timeout=10.0,
            )
        )
        .get_updates_request(
            HTTPXRequest(
                connection_pool_size=1,
                connect_timeout=10.0,
                read_timeout=LONG_POLL_S + 15.0,
                write_timeout=20.0,
                pool_timeout=10.0,
            )
        )
    )
    if not polling:
        builder = builder.updater(None)
    return builder.build()


def sender_of(user: User | None, chat_id: int) -> Sender:
    """``telegram:@alice`` (or the user's name and id when there is no username)."""
    if user is None:
        who = f"chat {chat_id}"
    elif user.username:
        who = f"@{user.username}"
    else:
        who = f"{user.full_name} ({user.id})"
    return Sender(CHANNEL, who, str(chat_id))


class TelegramBot:
    """Runs the Application: sending always, commands when ``desk`` is given."""

    def __init__(
        self,
        application: BotApp,
        chat_ids: Sequence[int],
        reply: Callable[[Outgoing], None],
        *,
        desk: CommandDesk | None,
        events: EventSink,
        clock: Clock,
    ) -> None:
        self.application = application
        self._allowed = frozenset(chat_ids)
        self._reply = reply
        self._desk = desk
        self._events = events
        self._clock = clock
        self._strangers: set[int] = set()
        self._task: asyncio.Task[None] | None = None
        if desk is not None:
            allowed = filters.Chat(chat_id=list(self._allowed))
            application.add_handler(MessageHandler(filters.COMMAND & allowed, self._on_command))
            application.add_handler(CallbackQueryHandler(self._on_button))
            application.add_handler(TypeHandler(Update, self._on_any), group=1)
            application.add_error_handler(self._on_error)

    def start(self) -> None:
        """Reach Telegram and start polling, in the background."""
        self._task = asyncio.create_task(self._start(), name="telegram-bot")

    async def _start(self) -> None:
        delay = 1.0
        while True:
            try:
                await self.application.initialize()
                break
            except TelegramError as error:
                log.warning("Telegram not reachable (%s); trying again in %.0f s", error, delay)
                await self._clock.sleep(delay)
                delay = min(START_BACKOFF_MAX_S, delay * 2)
        updater = self.application.updater
        if updater is not None:
            await updater.start_polling(
                timeout=LONG_POLL_S,
                allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY],
                drop_pending_updates=True,
            )
        await self.application.start()
        log.info(
            "Telegram bot @%s: alerts to %d chat(s)%s",
            self.application.bot.username,
            len(self._allowed),
            ", commands by long polling" if updater is not None else "",
        )

    async def stop(self) -> None:
        """Stop polling (sending still works until ``close``)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        app = self.application
        with contextlib.suppress(TelegramError, RuntimeError):
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()

    async def close(self) -> None:
        """Release the connections."""
        with contextlib.suppress(TelegramError, RuntimeError):
            await self.application.shutdown()

    # -- updates -----------------------------------------------------------------------------

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        del context
        message = update.effective_message
        chat = update.effective_chat
        if self._desk is None or message is None or chat is None or not message.text:
            return
        reply = await self._desk.handle(message.text, sender_of(update.effective_user, chat.id))
        self._send(chat.id, reply)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        del context
        query = update.callback_query
        chat = update.effective_chat
        if query is None or chat is None or self._desk is None:
            return
        if chat.id not in self._allowed:
            await self._stranger(chat.id, f"button {query.data}", update.effective_user)
            return
        reply = await self._desk.press(query.data or "", sender_of(update.effective_user, chat.id))
        with contextlib.suppress(TelegramError):  # the spinner stops by itself otherwise
            await query.answer(reply.headline[:200])
        if not reply.headline.startswith("❌"):
            with contextlib.suppress(TelegramError):  # decided: take the buttons away
                await query.edit_message_reply_markup(reply_markup=None)
        self._send(chat.id, reply)

    async def _on_any(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        del context
        chat = update.effective_chat
        if chat is None or chat.id in self._allowed:
            return
        message = update.effective_message
        text = message.text if message is not None and message.text else "an update"
        if update.callback_query is None:
            await self._stranger(chat.id, text, update.effective_user)

    async def _stranger(self, chat_id: int, what: str, user: User | None) -> None:
        """Ignore a chat that is not allow-listed; say so once per chat (log and event log)."""
        if chat_id in self._strangers:
            return
        self._strangers.add(chat_id)
        sender = sender_of(user, chat_id)
        log.warning(
            "Telegram: ignoring %s from chat %d (%s): not in [alerts.telegram] chat_ids; "
            "further messages from it are ignored silently",
            what[:80],
            chat_id,
            sender.user,
        )
        await self._events.publish(
            CommandReceived(
                at=self._clock.now(),
                by=sender.by,
                channel=CHANNEL,
                command=what[:200],
                accepted=False,
                detail=f"chat {chat_id} is not allow-listed; ignored",
            )
        )

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        del update
        log.warning("Telegram: %s", context.error)

    def _send(self, chat_id: int, reply: Message) -> None:
        self._reply(Outgoing(str(chat_id), reply))
