"""A fake Slack on 127.0.0.1: the Web API (``/api/chat.postMessage``,
``/api/apps.connections.open``), Socket Mode's websocket (``/link/``) and an incoming webhook
(``/services/...``), answering as Slack does.

Socket Mode: the websocket says ``hello`` when the app connects; the test pushes envelopes (a
slash command, a button press) as Slack wraps them (``envelope_id``, ``type``, ``payload``,
``accepts_response_payload``) and sees the app's acknowledgements. Every request is recorded;
faults (429 ``ratelimited`` with ``Retry-After``, an error status, no answer) are armed per
method (``chat.postMessage``, ``webhook``).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .faults import Fault, Faults
from .server_thread import ServerThread

WEBHOOK_PATH = "/services/T000/B000/fakehook"


@dataclass
class Post:
    """One request: method (``webhook`` for the incoming webhook), token, body, status."""

    method: str
    token: str
    body: dict[str, Any]
    at: float
    answered: int = 0


@dataclass
class FakeSlack:
    """The fake's state (changed only in its own loop)."""

    bot_token: str = "xoxb-fake-bot-token"
    app_token: str = "xapp-fake-app-token"
    posts: list[Post] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    connections: int = 0
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _sending: set[asyncio.Future[None]] = field(default_factory=set)
    server: ServerThread | None = None

    def start(self) -> FakeSlack:
        """Serve on a free port."""
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/link/", self._socket)
        app.router.add_post(WEBHOOK_PATH, self._webhook)
        self.server = ServerThread(app).start()
        return self

    @property
    def api_url(self) -> str:
        """What ``[alerts.slack] api_url`` names."""
        assert self.server is not None
        return f"{self.server.url}/api/"

    @property
    def webhook_url(self) -> str:
        """An incoming webhook URL on this fake."""
        assert self.server is not None
        return f"{self.server.url}{WEBHOOK_PATH}"

    def stop(self) -> None:
        """Stop serving."""
        if self.server is not None:
            self.server.stop()

    # -- what the test does ----------------------------------------------------------------

    def arm(self, method: str, fault: Fault) -> None:
        """Answer ``method`` with ``fault``."""
        assert self.server is not None
        self.server.call(self.faults.arm, method, fault)

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Bodies of the ``chat.postMessage`` calls Slack accepted (to ``channel``)."""
        return [
            post.body
            for post in list(self.posts)
            if post.method == "chat.postMessage"
            and post.answered == 200
            and (channel is None or post.body.get("channel") == channel)
        ]

    def hooked(self) -> list[dict[str, Any]]:
        """Bodies the incoming webhook accepted."""
        return [p.body for p in list(self.posts) if p.method == "webhook" and p.answered == 200]

    def slash(
        self, text: str, channel: str, user: str = "alice", command: str = "/rebalancer"
    ) -> str:
        """A person types ``/rebalancer TEXT`` in ``channel``; returns the envelope id."""
        payload = {
            "token": "verification-token",
            "team_id": "T000",
            "team_domain": "desk",
            "channel_id": channel,
            "channel_name": "trading",
            "user_id": "U0ALICE",
            "user_name": user,
            "command": command,
            "text": text,
            "api_app_id": "A000",
            "response_url": "https://hooks.slack.invalid/commands/T000/1/x",
            "trigger_id": "1.2.3",
        }
        return self._envelope("slash_commands", payload, accepts_response_payload=True)

    def press(self, action_id: str, value: str, channel: str, user: str = "alice") -> str:
        """A person presses a button (``block_actions``); returns the envelope id."""
        payload = {
            "type": "block_actions",
            "user": {"id": "U0ALICE", "username": user, "name": user, "team_id": "T000"},
            "api_app_id": "A000",
            "container": {"type": "message", "channel_id": channel, "message_ts": "1.000100"},
            "channel": {"id": channel, "name": "trading"},
            "trigger_id": "1.2.4",
            "response_url": "https://hooks.slack.invalid/actions/T000/1/y",
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "run_decision",
                    "value": value,
                    "action_ts": "1.000200",
                }
            ],
        }
        return self._envelope("interactive", payload, accepts_response_payload=False)

    def acked(self, envelope_id: str) -> bool:
        """True once the app acknowledged the envelope."""
        return any(ack.get("envelope_id") == envelope_id for ack in list(self.acks))

    def connected(self) -> bool:
        """True while at least one Socket Mode websocket is open."""
        return bool(self._sockets)

    def _envelope(
        self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool
    ) -> str:
        assert self.server is not None
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        text = json.dumps(envelope)

        def send() -> None:
            for socket in list(self._sockets):
                task = asyncio.ensure_future(socket.send_str(text))
                self._sending.add(task)
                task.add_done_callback(self._sending.discard)

        self.server.call(send)
        return envelope_id

    # -- the server --------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if request.content_type == "application/json":
            body = dict(await request.json())
        else:
            body = {k: str(v) for k, v in (await request.post()).items()}
        post = Post(method, token, body, time.monotonic())
        self.posts.append(post)
        if method == "apps.connections.open":
            if token != self.app_token:
                return self._answer(post, 200, {"ok": False, "error": "invalid_auth"})
            assert self.server is not None
            url = f"ws://127.0.0.1:{self.server.port}/link/?ticket={uuid.uuid4()}"
            return self._answer(post, 200, {"ok": True, "url": url})
        if token != self.bot_token:
            return self._answer(post, 200, {"ok": False, "error": "invalid_auth"})
        fault = await self._fault(method, post)
        if fault is not None:
            return fault
        if method == "chat.postMessage":
            ts = f"{time.time():.6f}"
            message = {"type": "message", "text": body.get("text"), "ts": ts, "bot_id": "B000"}
            return self._answer(
                post,
                200,
                {"ok": True, "channel": body.get("channel"), "ts": ts, "message": message},
            )
        return self._answer(post, 200, {"ok": False, "error": "unknown_method"})

    async def _webhook(self, request: web.Request) -> web.StreamResponse:
        post = Post("webhook", "", dict(await request.json()), time.monotonic())
        self.posts.append(post)
        fault = await self._fault("webhook", post)
        if fault is not None:
            return fault
        post.answered = 200
        return web.Response(text="ok")

    async def _fault(self, method: str, post: Post) -> web.Response | None:
        fault = self.faults.take(method)
        if fault is None:
            return None
        if fault.hang:
            await asyncio.Event().wait()
        if fault.status == 429:
            headers = {"Retry-After": str(fault.retry_after_s)}
            return self._answer(post, 429, {"ok": False, "error": "ratelimited"}, headers)
        return self._answer(post, fault.status, {"ok": False, "error": "fatal_error"})

    @staticmethod
    def _answer(
        post: Post, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> web.Response:
        post.answered = status
        return web.json_response(body, status=status, headers=headers)

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self.connections += 1
        self._sockets.append(socket)
        hello = {
            "type": "hello",
            "num_connections": len(self._sockets),
            "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
            "connection_info": {"app_id": "A000"},
        }
        await socket.send_str(json.dumps(hello))
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    self.acks.append(json.loads(message.data))
        finally:
            self._sockets.remove(socket)
        return socket
