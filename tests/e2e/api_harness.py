"""Helpers for the HTTP API tests: a daemon config with ``[api]``, requests, an SSE reader."""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOKEN = "api-test-token-0123456789"


def free_port() -> int:
    """A TCP port nobody listens on right now (on 127.0.0.1)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def enable_api(config: Path, port: int) -> Path:
    """Add ``[api]`` (on ``port``) and quick reconnects to a ``write_daemon_config`` file."""
    text = config.read_text(encoding="utf-8")
    text = text.replace("[market_data]\n", "[market_data]\nreconnect_max_backoff_s = 1\n", 1)
    text += f'[api]\nenabled = true\nhost = "127.0.0.1"\nport = {port}\n'
    config.write_text(text, encoding="utf-8")
    return config


@dataclass
class Api:
    """The daemon's API at ``base`` (with the test token unless told otherwise)."""

    base: str

    def get(self, path: str, token: str | None = TOKEN) -> tuple[int, Any, dict[str, str]]:
        """GET ``path``: status, parsed JSON body (or text) and headers."""
        request = urllib.request.Request(f"{self.base}{path}")
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=15) as reply:
                return reply.status, _body(reply.read()), dict(reply.headers)
        except urllib.error.HTTPError as error:
            return error.code, _body(error.read()), dict(error.headers)

    def post(
        self, path: str, body: dict[str, Any], token: str | None = TOKEN
    ) -> tuple[int, Any, dict[str, str]]:
        """POST ``body`` as JSON to ``path``: status, parsed JSON reply and headers."""
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=15) as reply:
                return reply.status, _body(reply.read()), dict(reply.headers)
        except urllib.error.HTTPError as error:
            return error.code, _body(error.read()), dict(error.headers)


def _body(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


@dataclass
class EventReader:
    """Reads ``GET /events`` in a thread and keeps every event (parsed ``data``) it got."""

    url: str
    events: list[dict[str, Any]] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    _response: Any = None

    def start(self) -> EventReader:
        """Connect and read in the background."""
        request = urllib.request.Request(self.url)
        request.add_header("Authorization", f"Bearer {TOKEN}")
        self._response = urllib.request.urlopen(request, timeout=60)
        assert self._response.headers["Content-Type"].startswith("text/event-stream")
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self) -> None:
        message: dict[str, str] = {}
        try:
            for raw in self._response:
                line = raw.decode().rstrip("\r\n")
                if not line:
                    if "data" in message:
                        self.ids.append(int(message["id"]))
                        self.events.append(json.loads(message["data"]))
                    message = {}
                elif not line.startswith(":"):
                    key, _, value = line.partition(":")
                    message[key] = value.lstrip(" ")
        except (OSError, ValueError, AttributeError):  # http.client after close(): None.peek
            return  # closed by ``stop`` or by the daemon

    def names(self) -> list[str]:
        """The names of the events so far."""
        return [str(e["name"]) for e in list(self.events)]

    def stop(self) -> None:
        """Close the connection."""
        if self._response is not None:
            self._response.close()
