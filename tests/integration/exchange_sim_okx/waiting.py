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


async def settled(
    read: Callable[[], T | None], watch: Callable[[], Awaitable[object]], *, attempts: int = 20
) -> T:
    """Return ``read()`` once it has a value, awaiting one more ``watch`` update each time.

    ccxt resolves a watch only on messages that arrive after the call, so the cache is checked
    first; no message can be handled between the check and the next watch call.
    """
    for _ in range(attempts):
        value = read()
        if value is not None:
            return value
        await asyncio.wait_for(watch(), timeout=5)
    raise AssertionError(f"no value after {attempts} updates")
