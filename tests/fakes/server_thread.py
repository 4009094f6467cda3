"""An aiohttp application served on 127.0.0.1 from a background thread with its own loop.

Tests (sync or async) and benchmarks talk to it over real sockets; ``call`` runs a function
in the server's loop (to change its state safely from the test's thread).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

T = TypeVar("T")


class ServerThread:
    """Serves ``app`` until ``stop``; ``url`` is ``http://127.0.0.1:PORT``."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        """Bind a free port and serve."""
        self._thread.start()
        self._await(self._start())
        return self

    async def _start(self) -> None:
        self._runner = web.AppRunner(self._app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        self.port = int(server.sockets[0].getsockname()[1])

    def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(*args)`` in the server's loop and return its result."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(function(*args))
            except Exception as error:  # handed to the caller
                future.set_exception(error)

        self._loop.call_soon_threadsafe(run)
        return future.result(timeout=10)

    def _await(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    def stop(self) -> None:
        """Stop serving (handlers still waiting are cancelled) and end the thread."""
        if self._runner is not None:
            self._await(self._runner.cleanup())
        self._await(_cancel_the_rest())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


async def _cancel_the_rest() -> None:
    """Cancel handlers still waiting (a held long poll, a fault that never answers)."""
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)
