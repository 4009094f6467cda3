"""The wall clock the daemon runs on (the `Clock` port's production adapter)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime


class SystemClock:
    """Timezone-aware UTC now, from the operating system; sleeps on the event loop."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of real time."""
        await asyncio.sleep(seconds)
