"""Live market state: balances, quotes and rules per venue, their freshness, and snapshots.

Websockets are the primary feed and REST the safety net (DESIGN.md §6). Per venue, two
supervised streams (quotes, balances) run in an ``asyncio.TaskGroup`` beside a poller:

- a dropped stream reconnects with backoff and jitter, then refreshes over REST;
- a stream silent past ``stream_silent_after_s`` puts the venue in POLLING mode: its data is
  fetched over REST every ``rest_poll_interval_s`` until the stream speaks again;
- prices and balances older than ``max_age_s`` make the venue not ready, and ``snapshot``
  refuses a venue that is not ready (``VenueUnavailable`` with every reason).

The rules are pure functions of ``now`` in ``rebalancer.core.staleness``; "now" comes from the
``Clock`` port. Settings are plain values (services do not read the config).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from rebalancer.core.staleness import (
    FeedMode,
    FreshnessRules,
    Readiness,
    feed_mode,
    is_silent,
    venue_readiness,
)
from rebalancer.domain.errors import VenueError, VenueUnavailable
from rebalancer.domain.market import Market
from rebalancer.domain.orders import Balance
from rebalancer.domain.quotes import Quote
from rebalancer.domain.snapshot import InTransit, ListedMarket, Route, Snapshot, VenueSnapshot
from rebalancer.ports import Clock, VenueGateway
from rebalancer.services.streams import Backoff, Stream, StreamHealth, run_stream
from rebalancer.services.venue_warnings import VenueWarnings

log = logging.getLogger(__name__)

QUOTES = "quotes"
BALANCES = "balances"
QuoteListener = Callable[[str, Mapping[str, Quote]], None]


@dataclass(frozen=True, slots=True)
class MarketDataSettings:
    """Freshness and reconnect settings, in seconds (the ``[market_data]`` config table)."""

    max_age_s: float = 60.0
    stream_silent_after_s: float = 15.0
    rest_poll_interval_s: float = 5.0
    reconnect_initial_backoff_s: float = 0.5
    reconnect_max_backoff_s: float = 30.0

    @property
    def rules(self) -> FreshnessRules:
        """The pure staleness rules these settings imply."""
        return FreshnessRules(self.max_age_s, self.stream_silent_after_s)


@dataclass(slots=True)
class VenueState:
    """Everything known about one venue, with the time each piece arrived."""

    name: str
    gateway: VenueGateway
    wanted_symbols: tuple[str, ...]
    markets: dict[str, Market] = field(default_factory=dict)
    quotes: dict[str, Quote] = field(default_factory=dict)
    quoted_at: dict[str, datetime] = field(default_factory=dict)
    balances: dict[str, Balance] = field(default_factory=dict)
    balances_at: datetime | None = None
    streams: dict[str, StreamHealth] = field(default_factory=dict)
    rest_polls: int = 0

    @property
    def symbols(self) -> tuple[str, ...]:
        """The wanted symbols this venue actually lists (all of them before markets load)."""
        markets = self.markets
        if not markets:
            return self.wanted_symbols
        return tuple([s for s in self.wanted_symbols if s in markets])  # read on every snapshot


class MarketState:
    """Live state of several venues. ``async with`` it, or ``await start()`` then ``run()``."""

    def __init__(
        self,
        gateways: Mapping[str, VenueGateway],
        symbols: Mapping[str, Sequence[str]],
        clock: Clock,
        settings: MarketDataSettings | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings or MarketDataSettings()
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._backoff = Backoff(
            self.settings.reconnect_initial_backoff_s, self.settings.reconnect_max_backoff_s
        )
        self._venues = {
            name: VenueState(name, gateway, tuple(symbols.get(name, ())))
            for name, gateway in gateways.items()
        }
        self._listeners: list[QuoteListener] = []
        self._runner: asyncio.Task[None] | None = None
        self._warnings = VenueWarnings(clock)  # an offline venue: a line a minute, not a second

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> MarketState:
        await self.start()
        self._runner = asyncio.create_task(self.run(), name="market-state")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        runner.cancel()
        # gather returns the runner's CancelledError instead of raising it; a cancellation of
        # this task itself still propagates.
        (outcome,) = await asyncio.gather(runner, return_exceptions=True)
        if isinstance(outcome, Exception):
            raise outcome

    async def start(self) -> None:
        """Load every venue's markets and take a first REST reading (errors are recorded)."""
        async with asyncio.TaskGroup() as group:
            for state in self._venues.values():
                group.create_task(self._start_venue(state), name=f"start:{state.name}")

    async def _start_venue(self, state: VenueState) -> None:
        if await self._load_markets(state):
            await self._refresh_quietly(state, BALANCES)
            await self._refresh_quietly(state, QUOTES)

    async def _load_markets(self, state: VenueState) -> bool:
        """Load the venue's markets; False (and a warning) when it did not answer."""
        try:
            state.markets = dict(await state.gateway.load_markets())
        except VenueError as error:
            self._warnings.warn(log, state.name, f"{state.name}: markets not loaded: {error}")
            return False
        missing = sorted(set(state.wanted_symbols) - set(state.markets))
        if missing:
            log.warning("%s does not list %s", state.name, ", ".join(missing))
        return True

    async def run(self) -> None:
        """Run every venue's streams and poller until cancelled."""
        async with asyncio.TaskGroup() as group:
            for state in self._venues.values():
                for stream in self._streams(state):
                    group.create_task(
                        run_stream(stream, self._clock, self._backoff, self._rng, self._warnings),
                        name=f"stream:{stream.health.name}",
                    )
                group.create_task(self._poll(state), name=f"poll:{state.name}")

    def _streams(self, state: VenueState) -> list[Stream[Any]]:
        """The venue's supervised streams; their health is what ``quiet_streams`` reads."""
        now = self._clock.now()
        balances = StreamHealth(f"{state.name}:{BALANCES}", now)
        state.streams = {BALANCES: balances}
        streams: list[Stream[Any]] = [
            Stream(
                balances,
                state.gateway.watch_balances,
                lambda update: self._apply_balances(state, update, replace=False),
                lambda: self.refresh(state.name, BALANCES),
            )
        ]
        if state.symbols:
            quotes = StreamHealth(f"{state.name}:{QUOTES}", now)
            state.streams[QUOTES] = quotes
            streams.append(
                Stream(
                    quotes,
                    lambda: state.gateway.watch_quotes(state.symbols),
                    lambda update: self._apply_quotes(state, update),
                    lambda: self.refresh(state.name, QUOTES),
                )
            )
        return streams

    # -- updates --------------------------------------------------------------------------

    def add_quote_listener(self, listener: QuoteListener) -> None:
        """Call ``listener(venue, quotes)`` after every quote update is applied."""
        self._listeners.append(listener)

    def _apply_quotes(self, state: VenueState, quotes: Mapping[str, Quote]) -> None:
        now = self._clock.now()
        for symbol, quote in quotes.items():
            state.quotes[symbol] = quote
            state.quoted_at[symbol] = now
        for listener in self._listeners:
            try:
                listener(state.name, quotes)
            except Exception:  # a listener's bug must not stop the market data
                log.exception("quote listener %r failed", listener)

    def _apply_balances(
        self, state: VenueState, balances: Mapping[str, Balance], *, replace: bool
    ) -> None:
        if replace:
            state.balances = dict(balances)
        else:
            state.balances.update(balances)
        state.balances_at = self._clock.now()

    async def refresh(self, venue: str, what: str | None = None) -> None:
        """Fetch ``what`` (quotes, balances, or both at once) over REST now; errors propagate."""
        state = self._venues[venue]
        quotes = what in (None, QUOTES) and bool(state.symbols)
        balances = what in (None, BALANCES)
        if quotes and balances:  # both requests in flight together: a snapshot waits for one
            try:
                async with asyncio.TaskGroup() as group:
                    asked_quotes = group.create_task(state.gateway.fetch_quotes(state.symbols))
                    asked_balances = group.create_task(state.gateway.fetch_balances())
            except ExceptionGroup as failed:
                raise failed.exceptions[0] from None  # a VenueError, as a single fetch raises
            self._apply_quotes(state, asked_quotes.result())
            self._apply_balances(state, asked_balances.result(), replace=True)
        elif quotes:
            self._apply_quotes(state, await state.gateway.fetch_quotes(state.symbols))
        elif balances:
            self._apply_balances(state, await state.gateway.fetch_balances(), replace=True)

    async def _refresh_quietly(self, state: VenueState, what: str) -> None:
        try:
            await self.refresh(state.name, what)
        except VenueError as error:
            message = f"{state.name}: REST refresh of {what} failed: {error}"
            self._warnings.warn(log, state.name, message)

    async def _poll(self, state: VenueState) -> None:
        """Fill in over REST for every stream that is silent or down."""
        while True:
            await self._clock.sleep(self.settings.rest_poll_interval_s)
            if not state.markets and not await self._load_markets(state):
                continue  # a venue that was down at start: keep asking for its markets
            for what in self.quiet_streams(state.name):
                state.rest_polls += 1
                await self._refresh_quietly(state, what)

    # -- questions ------------------------------------------------------------------------

    def quiet_streams(self, venue: str) -> list[str]:
        """The venue's streams that are down or silent past ``stream_silent_after_s``."""
        state = self._venues[venue]
        now = self._clock.now()
        return [
            what
            for what, health in state.streams.items()
            if not health.connected
            or is_silent(
                health.last_message_at,
                health.started_at,
                now,
                self.settings.stream_silent_after_s,
            )
        ]

    def mode(self, venue: str) -> FeedMode:
        """STREAMING, or POLLING while a stream is silent or down."""
        return feed_mode(self.quiet_streams(venue))

    def readiness(self, venue: str) -> Readiness:
        """Whether ``venue`` may be planned on now, with every reason if not."""
        state = self._venues[venue]
        return venue_readiness(
            venue,
            self._clock.now(),
            self.settings.rules,
            markets_loaded=bool(state.markets),
            balances_at=state.balances_at,
            quotes_at=state.quoted_at,
            required_symbols=state.symbols,
        )

    def venue(self, venue: str) -> VenueState:
        """The live state of one venue (read-only use)."""
        return self._venues[venue]

    @property
    def venues(self) -> tuple[str, ...]:
        """Every venue watched."""
        return tuple(self._venues)

    def snapshot(
        self,
        venues: Iterable[str] | None = None,
        routes: Iterable[Route] = (),
        in_transit: Iterable[InTransit] = (),
    ) -> Snapshot:
        """Freeze the state of ``venues`` (default all) into a plan's input.

        Raises ``VenueUnavailable`` naming every venue that is not ready and why.
        """
        names = tuple(venues) if venues is not None else self.venues
        problems = [r for r in (self.readiness(n) for n in names) if not r.ready]
        if problems:
            detail = "; ".join(f"{r.venue}: {', '.join(r.reasons)}" for r in problems)
            raise VenueUnavailable(",".join(r.venue for r in problems), f"not ready ({detail})")
        return Snapshot(
            taken_at=self._clock.now(),
            venues={name: self._venue_snapshot(self._venues[name]) for name in names},
            routes=tuple(routes),
            in_transit=tuple(in_transit),
        )

    @staticmethod
    def _venue_snapshot(state: VenueState) -> VenueSnapshot:
        balances: dict[str, Decimal] = {
            asset: b.free for asset, b in sorted(state.balances.items()) if b.free != 0
        }
        markets = {
            symbol: ListedMarket(state.markets[symbol], state.quotes[symbol])
            for symbol in sorted(state.symbols)
            if symbol in state.quotes
        }
        return VenueSnapshot(balances, markets)
