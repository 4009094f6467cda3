"""The price-jump check: every snapshot of a portfolio against the last good one before it.

``[risk] max_price_jump_percent``: a mid that moved more than this since the last snapshot that
passed, or that differs from another venue's mid for the same market by more than
``max_cross_venue_deviation_percent``, trips the breaker (``PRICE_CHECK``, HALTED).

Every snapshot the daemon decides or plans on is checked: a check's as well as each round's.
The reference survives a restart: it is the portfolio's latest snapshot in the Store (the daemon
keeps it there on every check), read once when a fresh process first checks, so the first price
after a restart is compared with the last one before it, however long ago that was (the
message says when). A person resuming the breaker accepts the prices as they are then: a
reference older than the last resume is dropped and the next snapshot becomes the reference.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from rebalancer.core.breaker import TripReason
from rebalancer.core.pretrade import PretradeLimits, QuoteKey, check_snapshot_prices
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.errors import SnapshotError
from rebalancer.domain.quotes import Quote
from rebalancer.domain.snapshot import Snapshot
from rebalancer.ports import Store
from rebalancer.services.breaker_keeper import BreakerKeeper

log = logging.getLogger(__name__)


def snapshot_quotes(snapshot: Snapshot) -> dict[QuoteKey, Quote]:
    """Every quote in a snapshot by (venue, symbol)."""
    return {
        (venue, symbol): listed.quote
        for venue, state in snapshot.venues.items()
        for symbol, listed in state.markets.items()
    }


class PriceGate:
    """Remembers a portfolio's last good quotes and checks each new snapshot against them.

    With ``portfolio`` and ``parse`` (the snapshot JSON reader) the first check of a process
    starts from the portfolio's latest snapshot in the Store; without, from nothing.
    """

    def __init__(
        self,
        store: Store,
        breaker: BreakerKeeper,
        limits: PretradeLimits,
        *,
        portfolio: str | None = None,
        parse: Callable[[str], Snapshot] | None = None,
    ) -> None:
        self._store = store
        self._breaker = breaker
        self._limits = limits
        self._portfolio = portfolio
        self._parse = parse
        self._loaded = portfolio is None or parse is None
        self._good: dict[QuoteKey, Quote] = {}
        self._good_at: datetime | None = None

    async def check(self, snapshot: Snapshot) -> str | None:
        """Trip the breaker and say why if ``snapshot``'s prices are not sane; else keep them."""
        reference = await self._reference()
        quotes = snapshot_quotes(snapshot)
        decision = check_snapshot_prices(quotes, reference, self._limits)
        if not decision.ok:
            detail = "; ".join(decision.problems)
            if self._good_at is not None and reference:
                detail += f" (last good prices seen {self._good_at.isoformat(timespec='seconds')})"
            await self._breaker.trip(TripReason.PRICE_CHECK, detail)
            return detail
        self._good.update(quotes)
        self._good_at = snapshot.taken_at
        return None

    async def _reference(self) -> Mapping[QuoteKey, Quote]:
        if not self._loaded:
            self._loaded = True
            await self._load()
        record = await self._store.get_breaker()
        if (
            record is not None
            and record.state is BreakerState.ACTIVE
            and self._good_at is not None
            and record.at > self._good_at
        ):
            log.info("the breaker was resumed since the last good prices: taking them afresh")
            self._good, self._good_at = {}, None
        return self._good

    async def _load(self) -> None:
        """The latest snapshot the daemon kept for the portfolio, as the first reference."""
        assert self._portfolio is not None
        assert self._parse is not None
        latest = await self._store.latest_snapshot(self._portfolio)
        if latest is None:
            return
        text, at = latest
        try:
            stored = self._parse(text)
        except SnapshotError as error:  # an unreadable reference is no reference: say so
            log.warning("%s: the stored latest snapshot is unreadable (%s)", self._portfolio, error)
            return
        self._good, self._good_at = snapshot_quotes(stored), at
