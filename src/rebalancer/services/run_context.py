"""Which run, and which round of it, the code running now works for.

Every log line about a run must say which run and round it is about, whoever logs it (the
cycle, the executor, an order, a transfer, the ccxt adapter underneath). Rather than threading
the ids through every call, the cycle tags the current asyncio task; tasks it starts inherit
the tag, and the log handler (``runtime/logs.py``) reads it into each record.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RunTag:
    """A run id and the round being planned or executed."""

    run_id: str
    round: int

    def __str__(self) -> str:
        return f"run {self.run_id} round {self.round}"


_CURRENT: ContextVar[RunTag | None] = ContextVar("rebalancer_run", default=None)


def tag_run(run_id: str, round_: int) -> None:
    """From here on (in this task and the tasks it starts), log lines are about this round."""
    _CURRENT.set(RunTag(run_id, round_))


def untag_run() -> None:
    """What runs next in this task is about no run (e.g. the next portfolio's check)."""
    _CURRENT.set(None)


def current_run() -> RunTag | None:
    """The run and round the running code works for, if any."""
    return _CURRENT.get()
