"""What a message about one event may say besides the event: the portfolio now, and next steps."""

from __future__ import annotations

from dataclasses import dataclass

from rebalancer.alerting.formatting import drift_table, money
from rebalancer.alerting.hints import Hints
from rebalancer.core.drift import DriftReport


@dataclass(frozen=True, slots=True)
class Scene:
    """The event's portfolio now (its quote asset, its weights when its venues are ready)."""

    hints: Hints
    quote: str = ""
    drift: DriftReport | None = None

    @property
    def table(self) -> tuple[str, ...]:
        """The weights against targets and bands now (empty when not known)."""
        return drift_table(self.drift) if self.drift is not None else ()

    @property
    def standing(self) -> str:
        """``48,123.45 USDT, inside its bands`` (empty when not known)."""
        if self.drift is None:
            return ""
        where = "outside its bands" if self.drift.any_breached else "inside its bands"
        return f"now {money(self.drift.total, self.quote)}, {where}"
