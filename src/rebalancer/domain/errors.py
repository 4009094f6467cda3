"""The one exception tree of rebalancer.

    RebalancerError
    ├── InvalidValue            a value that cannot be a money amount, price or percent
    ├── AssetMismatch           arithmetic across different assets
    ├── DustError               a nonzero amount that rounds to zero on a market's step
    ├── ConfigError             the config file is wrong (carries every problem at once)
    ├── SnapshotError           a snapshot is malformed (names the field)
    ├── PlanFormatError         a stored or given plan JSON is malformed (codecs.plan_json)
    ├── PlanningError           the planner cannot produce a plan at all
    │   ├── CyclicPlan              the plan's dependencies would form a loop (core.planner)
    │   └── AmountUnavailable       a withdraw or invest amount the holdings cannot meet
    ├── RecordNotFound          a stored record asked for by id does not exist (domain.records)
    ├── DuplicateRecord         a record with the same unique key already exists (domain.records)
    ├── UnknownSchemaRevision   the database was migrated by a newer release (persistence)
    └── VenueError              anything an exchange said or failed to say
        ├── RetryableVenueError     safe to try again (timeouts on reads, rate limits, 5xx on reads)
        ├── OrderRejected           the exchange definitively refused (insufficient funds, bad size)
        ├── AmbiguousOrderOutcome   the order may or may not exist: settle by client order id
        ├── AuthenticationFailed    keys or signature refused: a person must act
        └── VenueUnavailable        the venue cannot be used now (maintenance, not reconciled)

Adapters map their library's errors into this tree in exactly one module each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal


class RebalancerError(Exception):
    """Base of every error rebalancer raises on purpose."""


class InvalidValue(RebalancerError, ValueError):
    """A value that cannot be a money amount, a price or a percent."""


class AssetMismatch(RebalancerError, TypeError):
    """Arithmetic between amounts of different assets."""


class DustError(RebalancerError):
    """A nonzero amount rounds to zero on a market's step: report it, never drop it silently."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where (a dotted key path) and what was expected."""

    location: str
    message: str
    source: str = ""

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return f"{where}{self.location}: {self.message}"


class ConfigError(RebalancerError):
    """The config is wrong; ``problems`` lists every problem found, each with its key path."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SnapshotError(RebalancerError):
    """A snapshot is malformed; ``field`` is the JSON path of the offending value."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}")


class PlanningError(RebalancerError):
    """The planner cannot produce any plan for this input (not: a plan with residuals)."""


class AmountUnavailable(PlanningError):
    """A run's amount is more than the holdings allow: a withdrawal above what selling can raise,
    or an investment above the cash that may be spent. ``available`` says how much can be."""

    def __init__(
        self,
        run_type: str,
        asked: Decimal,
        available: Decimal,
        asset: str,
        venue: str | None = None,
    ) -> None:
        self.run_type = run_type
        self.asked = asked
        self.available = available
        self.asset = asset
        self.venue = venue
        where = f" on {venue}" if venue is not None else ""
        verb = "raise" if run_type == "withdraw" else "spend"
        shown = _plain(available)
        super().__init__(
            f"{run_type} {_plain(asked)} {asset}: the holdings can {verb} at most {shown} "
            f"{asset}{where} (ask for a partial {run_type} to {verb} that much)"
        )


def _plain(value: Decimal) -> str:
    """A decimal without exponent, to two places (amounts for people)."""
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_DOWN):f}"


class VenueError(RebalancerError):
    """An exchange refused, failed or did not answer."""

    def __init__(self, venue: str, message: str) -> None:
        self.venue = venue
        super().__init__(f"{venue}: {message}")


class RetryableVenueError(VenueError):
    """Transient: the same request may be sent again (never used for order creation)."""


class OrderRejected(VenueError):
    """The exchange definitively refused the order; it does not exist."""


class AmbiguousOrderOutcome(VenueError):
    """The order may or may not exist on the exchange; settle it by looking up its client id."""


class AuthenticationFailed(VenueError):
    """The exchange refused our credentials or signature; retrying will not help."""


class VenueUnavailable(VenueError):
    """The venue cannot be used now (maintenance, not reconciled, not ready)."""
