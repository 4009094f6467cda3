"""The set-aside part of the in-memory ``Store``: cash held out of a portfolio for a withdrawal.

Mixed into ``MemoryStore`` with the state database's rules: a set-aside is released once (a
second release answers None), unknown ids raise ``RecordNotFound``, amounts are positive. A
backtest pays each withdrawal out in the bar its run ends (``replay``), so it sets nothing
aside; the port is complete all the same, for anything that reads it.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.records import RecordNotFound
from rebalancer.domain.set_asides import ReleaseCause, SetAside


class SetAsideJournal:
    """Mixin: what ``MemoryStore`` keeps of set-asides."""

    def _init_set_asides(self) -> None:
        self._set_asides: dict[str, SetAside] = {}
        self._set_aside_ids = itertools.count(1)

    def _at(self, at: datetime | None) -> datetime:  # provided by MemoryStore
        raise NotImplementedError

    async def record_set_aside(
        self,
        portfolio: str,
        venue: str,
        asset: str,
        amount: Decimal,
        *,
        seen_balance: Decimal,
        run_id: str | None = None,
        expires_at: datetime | None = None,
        at: datetime | None = None,
    ) -> SetAside:
        """Hold ``amount`` of ``asset`` on ``venue`` out of the portfolio."""
        if not amount.is_finite() or amount <= 0:
            raise InvalidValue(f"set_aside.amount: expected a positive amount, got {amount}")
        now = self._at(at)
        item = SetAside(
            id=f"sa-{next(self._set_aside_ids):08x}",
            portfolio=portfolio,
            venue=venue,
            asset=asset,
            amount=amount,
            created_at=now,
            seen_balance=seen_balance,
            seen_at=now,
            run_id=run_id,
            expires_at=expires_at,
        )
        self._set_asides[item.id] = item
        return item

    async def get_set_aside(self, set_aside_id: str) -> SetAside:
        """One set-aside, active or released."""
        item = self._set_asides.get(set_aside_id)
        if item is None:
            raise RecordNotFound(f"no set-aside {set_aside_id}")
        return item

    async def set_asides(
        self, portfolio: str | None = None, *, active_only: bool = True, limit: int = 100
    ) -> Sequence[SetAside]:
        """The newest ``limit`` set-asides, oldest first (only the active ones by default)."""
        found = [
            item
            for item in self._set_asides.values()
            if (portfolio is None or item.portfolio == portfolio)
            and (item.active or not active_only)
        ]
        return found[-limit:]

    async def release_set_aside(
        self,
        set_aside_id: str,
        cause: ReleaseCause,
        *,
        by: str,
        reason: str = "",
        at: datetime | None = None,
    ) -> SetAside | None:
        """Release an active set-aside; None when it was released already."""
        item = await self.get_set_aside(set_aside_id)
        if not item.active:
            return None
        released = dataclasses.replace(
            item,
            released_at=self._at(at),
            released_by=by,
            release_cause=cause,
            release_reason=reason,
        )
        self._set_asides[set_aside_id] = released
        return released

    async def set_aside_seen(
        self, set_aside_id: str, balance: Decimal, at: datetime | None = None
    ) -> SetAside:
        """Remember the venue's balance, seen with no run or transfer of ours since."""
        item = await self.get_set_aside(set_aside_id)
        seen = dataclasses.replace(item, seen_balance=balance, seen_at=self._at(at))
        self._set_asides[set_aside_id] = seen
        return seen

    async def reduce_set_aside(
        self,
        set_aside_id: str,
        amount: Decimal,
        *,
        seen_balance: Decimal,
        at: datetime | None = None,
    ) -> SetAside | None:
        """Hold only ``amount`` now; None when the set-aside was released meanwhile."""
        item = await self.get_set_aside(set_aside_id)
        if not amount.is_finite() or amount <= 0:
            raise InvalidValue(f"set_aside.amount: expected a positive amount, got {amount}")
        if not item.active:
            return None
        reduced = dataclasses.replace(
            item, amount=amount, seen_balance=seen_balance, seen_at=self._at(at)
        )
        self._set_asides[set_aside_id] = reduced
        return reduced

    async def set_aside_warned(self, set_aside_id: str, at: datetime | None = None) -> SetAside:
        """Remember that the set-aside's coming expiry was announced."""
        item = await self.get_set_aside(set_aside_id)
        warned = dataclasses.replace(item, warned_at=self._at(at))
        self._set_asides[set_aside_id] = warned
        return warned
