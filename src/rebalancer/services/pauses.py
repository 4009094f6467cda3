"""Waiting in services: always on the ``Clock`` port, never on the event loop's own time.

A simulated clock (backtests) moves time on at once, so a transfer's five-minute ETA or a
limit order's timeout costs nothing; the daemon's clock waits for real.
"""

from __future__ import annotations

import asyncio

from rebalancer.ports import Clock


async def pause(clock: Clock, seconds: float, stop: asyncio.Event) -> None:
    """Wait ``seconds`` on ``clock``, returning early as soon as ``stop`` is set."""
    if stop.is_set():
        return
    sleeping = asyncio.ensure_future(clock.sleep(seconds))
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait((sleeping, stopping), return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeping.cancel()
        stopping.cancel()
