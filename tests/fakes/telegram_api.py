"""A fake Telegram Bot API on 127.0.0.1: ``/bot<TOKEN>/<method>`` as the real one answers it.

It serves what python-telegram-bot calls: ``getMe``, ``deleteWebhook``, ``getUpdates`` (long
polling: held open until an update arrives or ``timeout`` passes; ``offset`` confirms earlier
updates), ``sendMessage``, ``answerCallbackQuery`` and ``editMessageReplyMarkup``. Parameters
come as a form (the library JSON-encodes non-string values) or as JSON. Every request is
recorded; a test adds updates (a person's message, a button press) and arms faults: a 429 with
``parameters.retry_after`` and a ``Retry-After`` header, an error status, or no answer at all.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .faults import Fault, Faults
from .server_thread import ServerThread

BOT_ID = 7000001
BOT = {"id": BOT_ID, "is_bot": True, "first_name": "Rebalancer", "username": "rebalancer_test_bot"}
_RAW = frozenset({"text", "data", "callback_query_id", "url"})


@dataclass
class Call:
    """One request: its method, parameters (decoded) and when it came (monotonic seconds)."""

    method: str
    params: dict[str, Any]
    at: float
    answered: int = 0  # the HTTP status it got (0: none yet, or never)


def _decode(key: str, value: str) -> Any:
    if key in _RAW:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def person(user_id: int = 111, username: str = "alice") -> dict[str, Any]:
    """A Telegram user."""
    return {"id": user_id, "is_bot": False, "first_name": username.title(), "username": username}


@dataclass
class FakeTelegram:
    """The fake server's state (changed only in its own loop)."""

    token: str
    calls: list[Call] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _next_update: int = 1
    _next_message: int = 1
    _arrived: asyncio.Event | None = None
    server: ServerThread | None = None

    def start(self) -> FakeTelegram:
        """Serve on a free port (``api_url`` for the config)."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self.server = ServerThread(app).start()
        return self

    @property
    def api_url(self) -> str:
        """What ``[alerts.telegram] api_url`` names."""
        assert self.server is not None
        return self.server.url

    def stop(self) -> None:
        """Stop serving."""
        if self.server is not None:
            self.server.stop()

    # -- what the test does ----------------------------------------------------------------

    def send_text(self, chat_id: int, text: str, user: dict[str, Any] | None = None) -> int:
        """A person writes ``text`` in chat ``chat_id``; returns the update id."""
        entities = []
        if text.startswith("/"):
            entities = [
                {"type": "bot_command", "offset": 0, "length": len(text.split(maxsplit=1)[0])}
            ]
        message = {
            "message_id": 900000 + self._next_update,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": user or person(),
            "text": text,
            "entities": entities,
        }
        return self._add({"message": message})

    def press(
        self, chat_id: int, data: str, message_id: int = 1, user: dict[str, Any] | None = None
    ) -> int:
        """A person presses a button whose ``callback_data`` is ``data``."""
        query = {
            "id": f"cbq{self._next_update}",
            "from": user or person(),
            "chat_instance": "ci-1",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT,
                "text": "(an approval message)",
            },
        }
        return self._add({"callback_query": query})

    def _add(self, body: dict[str, Any]) -> int:
        assert self.server is not None

        def add() -> int:
            update_id = self._next_update
            self._next_update += 1
            self._updates.append({"update_id": update_id, **body})
            if self._arrived is not None:
                self._arrived.set()
            return update_id

        return self.server.call(add)

    def arm(self, method: str, fault: Fault) -> None:
        """Answer ``method`` with ``fault`` (see ``faults``)."""
        assert self.server is not None
        self.server.call(self.faults.arm, method, fault)

    def clear_faults(self) -> None:
        """Answer normally again."""
        assert self.server is not None
        self.server.call(self.faults.clear)

    def of(self, method: str) -> list[Call]:
        """The calls of ``method`` so far."""
        return [call for call in list(self.calls) if call.method == method]

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """The parameters of every ``sendMessage`` Telegram accepted (to ``chat_id``)."""
        return [
            call.params
            for call in self.of("sendMessage")
            if call.answered == 200 and (chat_id is None or call.params["chat_id"] == chat_id)
        ]

    def polling(self) -> bool:
        """True once the bot has asked for updates."""
        return bool(self.of("getUpdates"))

    # -- the server --------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params, time.monotonic())
        self.calls.append(call)
        if request.match_info["token"] != self.token:
            return self._answer(
                call, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
        fault = self.faults.take(method)
        if fault is not None:
            if fault.hang:
                await asyncio.Event().wait()
            if fault.status == 429:
                body = {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {fault.retry_after_s}",
                    "parameters": {"retry_after": fault.retry_after_s},
                }
                headers = {"Retry-After": str(fault.retry_after_s)}
                return self._answer(call, 429, body, headers)
            description = "Bad Request: chat not found" if fault.status == 400 else "Bad Gateway"
            body = {"ok": False, "error_code": fault.status, "description": description}
            return self._answer(call, fault.status, body)
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            body = {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
            return self._answer(call, 404, body)
        result = await handler(params)
        return self._answer(call, 200, {"ok": True, "result": result})

    @staticmethod
    def _answer(
        call: Call, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> web.Response:
        call.answered = status
        return web.json_response(body, status=status, headers=headers)

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            loaded = await request.json()
            return dict(loaded) if isinstance(loaded, dict) else {}
        form = await request.post()
        return {key: _decode(key, str(value)) for key, value in form.items()}

    async def _getMe(self, params: dict[str, Any]) -> Any:
        return BOT

    async def _deleteWebhook(self, params: dict[str, Any]) -> Any:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0:
            self._arrived = asyncio.Event()
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout)
            except TimeoutError:
                pass
            finally:
                self._arrived = None
        return [u for u in self._updates if u["update_id"] >= offset]

    async def _sendMessage(self, params: dict[str, Any]) -> Any:
        message_id = self._next_message
        self._next_message += 1
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": BOT,
            "text": str(params.get("text", "")),
        }

    async def _answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    async def _editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        return {
            "message_id": int(params.get("message_id", 1)),
            "date": int(time.time()),
            "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
            "from": BOT,
            "text": "(edited)",
        }
