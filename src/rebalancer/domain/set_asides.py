"""Cash set aside for a withdrawal: raised by a ``withdraw`` run, no longer invested.

A ``withdraw`` run sells until the asked amount is free to pay out; until a person takes it off
the exchange, that cash still sits in the venue's balance. A **set-aside** remembers it is
meant to leave (Orion's ``Withdraw`` raises cash "for a withdrawal"; Alpaca's runs liquidate an
amount "to set it aside for withdrawal"): every snapshot the daemon checks and plans from counts
it outside the portfolio, so no later run buys the positions back with it.

A set-aside is active until it is released: the cash left the venue (``WITHDRAWN``), a person
released it (``RELEASED``), or it expired (``EXPIRED``). ``seen_balance`` is the venue's balance
of the asset when it was last seen with no run or transfer of ours since (``seen_at``): a fall
below it by at least the amount is the withdrawal.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


class ReleaseCause(enum.StrEnum):
    """Why a set-aside stopped holding cash out of the portfolio."""

    WITHDRAWN = "withdrawn"  # the venue's balance fell by the amount: the cash left
    RELEASED = "released"  # a person gave the cash back to the portfolio
    EXPIRED = "expired"  # ``set_aside_days`` passed without the cash leaving


@dataclass(frozen=True, slots=True)
class SetAside:
    """``amount`` of ``asset`` on ``venue`` held out of ``portfolio`` for a withdrawal."""

    id: str
    portfolio: str
    venue: str
    asset: str
    amount: Decimal
    created_at: datetime
    seen_balance: Decimal
    seen_at: datetime
    run_id: str | None = None  # the withdraw run that raised it (None: set by hand)
    expires_at: datetime | None = None  # None: never expires
    warned_at: datetime | None = None  # when the coming expiry was announced
    released_at: datetime | None = None
    released_by: str | None = None
    release_cause: ReleaseCause | None = None
    release_reason: str | None = None

    @property
    def active(self) -> bool:
        """True while the cash is held out of the portfolio."""
        return self.released_at is None
