"""Which configured parts this version serves: one list for the daemon's start and check-config.

The config accepts tables for parts not built yet, so a config written for a later version is
not refused; but a configured part that does nothing must be said plainly, not ignored. The
daemon warns about each at start, and ``check-config`` prints the same sentences.
"""

from __future__ import annotations

from rebalancer.settings import AppConfig

ALERT_SINKS = ("telegram", "slack")


def unserved(config: AppConfig) -> list[str]:
    """A sentence for each part the config sets up that this version does not serve."""
    sinks = [name for name in ALERT_SINKS if getattr(config.alerts, name) is not None]
    if not sinks:
        return []
    return [
        f"[alerts] {', '.join(sinks)}: alert sinks are not part of this version; "
        "alerts go to the log only"
    ]


def served_lines(config: AppConfig) -> list[str]:
    """What ``check-config`` says about it: every part served, or which are not."""
    missing = unserved(config)
    if not missing:
        return ["this version serves every part this config sets up"]
    return [f"not served by this version: {sentence}" for sentence in missing]
