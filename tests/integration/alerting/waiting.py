"""Waiting for a condition in async tests: poll until true, fail after a deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def until(what: str, probe: Callable[[], T], timeout_s: float = 30.0) -> T:
    """Poll ``probe`` every 50 ms until it returns something truthy."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.05)
