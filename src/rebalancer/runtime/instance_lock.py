"""One daemon per state directory, enforced with an advisory lock on a file in it.

The lock is held by the open file descriptor, so the kernel releases it when the process dies
however it dies (kill -9 included): a crashed daemon never blocks its own restart.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

LOCK_FILE_NAME = "rebalancer.lock"


class AlreadyRunning(RuntimeError):
    """Another daemon holds the state directory."""


def holder(state_dir: Path) -> int | None:
    """The PID the lock file names when that process is alive (None: no daemon seems to run).

    Read without taking the lock (taking it, even briefly, could turn away a daemon starting at
    that moment); a PID reused by another process after a crash reads as alive, so use it only
    to decide how long to wait, never whether it is safe to start.
    """
    try:
        text = (state_dir / LOCK_FILE_NAME).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not text.isdigit():
        return None
    try:
        os.kill(int(text), 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return int(text)  # alive, someone else's
    return int(text)


class InstanceLock:
    """An exclusive, non-blocking lock on ``<state_dir>/rebalancer.lock`` holding our PID."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_FILE_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunning naming the holder's PID."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunning(
                f"another rebalancer (pid {holder}) is running on {self.path.parent}"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (closing the descriptor releases it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
