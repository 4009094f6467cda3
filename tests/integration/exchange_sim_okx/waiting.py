"""Waiting for websocket updates without sleeping: bounded in attempts and time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    watch: Callable[[], Awaitable[T]], done: Callable[[T], bool], *, attempts: int = 20
) -> T:
    """Call a ccxt ``watch_*`` until its result satisfies ``done`` (bounded attempts)."""
    for _ in range(attempts):
        result = await asyncio.wait_for(watch(), timeout=5)
        if done(result):
            return result
    raise AssertionError(f"condition not reached after {attempts} updates")
