"""Types shared by the simulator's aiohttp apps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
"""An aiohttp request handler, as middlewares receive it."""
