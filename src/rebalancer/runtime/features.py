"""Which configured parts this version serves: one list for the daemon's start and check-config.

The config accepts tables for parts not built yet, so a config written for a later version is
not refused; but a configured part that does nothing must be said plainly, not ignored. The
daemon warns about each at start, and ``check-config`` prints the same sentences.
"""

from __future__ import annotations

from rebalancer.settings import AppConfig


def unserved(config: AppConfig) -> list[str]:
    """A sentence for each part the config sets up that this version does not serve.

    None now: the HTTP API and the alert sinks (``[alerts]``) are served. A table accepted
    ahead of its feature gets its sentence here.
    """
    del config
    return []


def served_lines(config: AppConfig) -> list[str]:
    """What ``check-config`` says about it: every part served, or which are not."""
    missing = unserved(config)
    if not missing:
        return ["this version serves every part this config sets up"]
    return [f"not served by this version: {sentence}" for sentence in missing]
