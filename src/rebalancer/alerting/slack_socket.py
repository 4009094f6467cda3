"""Slack commands through Socket Mode: a websocket the app opens (``apps.connections.open``),
so no public URL is needed. ``slack_sdk``'s aiohttp Socket Mode client keeps it connected
(reconnecting, pinging); this module answers its envelopes.

- A slash command (``slash_commands``): ``/rebalancer approve 42`` (one command for all, the
  verb after it; Slack has a ``/status`` of its own), or a verb registered as its own command
  (``/approve 42``).
- A button press (``interactive``, ``block_actions``): the Approve/Reject buttons of an
  approval message.

Every envelope is acknowledged at once (Slack retries one that is not acknowledged within
3 s). Only the allow-listed channels (``channel_ids``) are obeyed; anything else is ignored,
logged once per channel and written once to the event log. Replies are posted to the channel
through the sink's outbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from rebalancer.alerting.commands import CommandDesk, Sender
from rebalancer.alerting.outbox import Outgoing
from rebalancer.alerting.slack_transport import web_client
from rebalancer.domain.events import CommandReceived
from rebalancer.ports import Clock, EventSink

log = logging.getLogger(__name__)

CHANNEL = "slack"
SLASH_COMMAND = "/rebalancer"
PING_INTERVAL_S = 10.0


def command_text(payload: Mapping[str, Any]) -> str:
    """``/rebalancer approve 42`` and ``/approve 42`` both as ``approve 42``."""
    command = str(payload.get("command", "")).strip()
    text = str(payload.get("text", "")).strip()
    if command == SLASH_COMMAND or not command:
        return text or "help"
    return f"{command.lstrip('/')} {text}".strip()


def _user(payload: Mapping[str, Any]) -> str:
    user = payload.get("user")
    if isinstance(user, Mapping):  # interactive payloads
        name, ident = user.get("username") or user.get("name"), user.get("id")
    else:  # slash commands
        name, ident = payload.get("user_name"), payload.get("user_id")
    return f"@{name}" if name else str(ident or "unknown")


def _channel(payload: Mapping[str, Any]) -> str:
    channel = payload.get("channel")
    if isinstance(channel, Mapping):
        return str(channel.get("id", ""))
    return str(payload.get("channel_id", ""))


class SlackCommands:
    """Keeps the Socket Mode connection and carries out what arrives on it."""

    def __init__(
        self,
        app_token: str,
        bot_token: str,
        api_url: str,
        channel_ids: Sequence[str],
        *,
        desk: CommandDesk,
        reply: Callable[[Outgoing], None],
        events: EventSink,
        clock: Clock,
    ) -> None:
        self._tokens = (app_token, bot_token, api_url)
        self._allowed = frozenset(channel_ids)
        self._desk = desk
        self._reply = reply
        self._events = events
        self._clock = clock
        self._strangers: set[str] = set()
        self._client: SocketModeClient | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Connect in the background (the client retries until Slack answers)."""
        app_token, bot_token, api_url = self._tokens
        client = SocketModeClient(
            app_token=app_token,
            web_client=web_client(bot_token, api_url),
            auto_reconnect_enabled=True,
            ping_interval=PING_INTERVAL_S,
            logger=logging.getLogger("rebalancer.alerting.slack_socket.client"),
        )
        client.socket_mode_request_listeners.append(self._on_request)
        self._client = client
        connect = client.connect()  # type: ignore[no-untyped-call]
        self._task = asyncio.create_task(connect, name="slack-socket-mode")

    async def stop(self) -> None:
        """Close the websocket."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._client is not None:
            await self._client.close()  # type: ignore[no-untyped-call]

    async def _on_request(
        self, client: AsyncBaseSocketModeClient, request: SocketModeRequest
    ) -> None:
        ack = SocketModeResponse(envelope_id=request.envelope_id)
        await client.send_socket_mode_response(ack)
        payload = request.payload
        if request.type == "slash_commands":
            await self._command(payload, command_text(payload))
        elif request.type == "interactive" and payload.get("type") == "block_actions":
            for action in payload.get("actions") or ():
                data = f"{action.get('action_id', '')}:{action.get('value', '')}"
                await self._command(payload, data, button=True)

    async def _command(
        self, payload: Mapping[str, Any], text: str, *, button: bool = False
    ) -> None:
        channel = _channel(payload)
        sender = Sender(CHANNEL, _user(payload), channel)
        if channel not in self._allowed:
            await self._stranger(sender, text)
            return
        if button:
            reply = await self._desk.press(text, sender)
        else:
            reply = await self._desk.handle(text, sender)
        self._reply(Outgoing(channel, reply))

    async def _stranger(self, sender: Sender, text: str) -> None:
        if sender.chat in self._strangers:
            return
        self._strangers.add(sender.chat)
        log.warning(
            "Slack: ignoring %r from channel %s (%s): not in [alerts.slack] channel_ids; "
            "further messages from it are ignored silently",
            text[:80],
            sender.chat or "?",
            sender.user,
        )
        await self._events.publish(
            CommandReceived(
                at=self._clock.now(),
                by=sender.by,
                channel=CHANNEL,
                command=text[:200],
                accepted=False,
                detail=f"channel {sender.chat} is not allow-listed; ignored",
            )
        )
