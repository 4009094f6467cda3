"""Faults a fake answers with, per method: a rate limit (429 with Retry-After), a status, or no
answer at all. Armed from the test's thread (``ServerThread.call``)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Fault:
    """What to answer the next ``count`` calls with (``hang``: never answer)."""

    count: int
    status: int = 429
    retry_after_s: int = 2
    hang: bool = False


@dataclass
class Faults:
    """Armed faults by method name."""

    armed: dict[str, Fault] = field(default_factory=dict)

    def arm(self, method: str, fault: Fault) -> None:
        """Answer ``method`` with ``fault`` from now on, ``fault.count`` times."""
        self.armed[method] = fault

    def take(self, method: str) -> Fault | None:
        """The fault for this call of ``method`` (None: answer normally)."""
        fault = self.armed.get(method)
        if fault is None or fault.count <= 0:
            return None
        fault.count -= 1
        return fault

    def clear(self) -> None:
        """Answer everything normally again."""
        self.armed.clear()
