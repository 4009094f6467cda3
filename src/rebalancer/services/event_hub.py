"""The one ``EventSink``: every event to the Store's log, then to each subscriber's own queue.

``publish`` awaits only the log write (one short Store transaction, like every other write a
run makes), then offers the event to every subscription's bounded mailbox and returns. Each
push subscriber (``subscribe``) has one task that takes events from its mailbox in log order
and calls its ``deliver``; a pull subscriber (``stream``, e.g. an HTTP client of the live
stream) reads its mailbox itself. So a subscriber that is slow, hangs or raises costs trading
nothing:

- ``deliver`` raising is counted (``failed``) and logged, and the next event goes out as usual;
- a full mailbox drops its oldest non-critical event to make room (``dropped``, logged): a
  critical event (a HALT, a mismatch, a late transfer) is dropped only from a mailbox holding
  nothing else.

Publishing is serialised, so every subscriber sees events in the order of their log ids.

Other processes write to the same log (``rebalancer approve``, ``pause``, ``resume`` beside a
running daemon). ``follow_log`` reads what they wrote every second or so and offers it to the
subscribers too, so a chat hears of an approval made at a shell.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace

from rebalancer.codecs.event_json import event_from_log
from rebalancer.domain.events import DomainEvent, Published
from rebalancer.domain.records import EventRecord
from rebalancer.ports import Clock, EventSink, EventSubscriber, Store

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 1000
DROP_LOG_EVERY = 100  # after the first drop of a burst, log one line per this many
FOLLOW_BATCH = 500  # log rows read per page when following what other processes log


@dataclass(slots=True)
class DeliveryStats:
    """What one subscriber (all its subscriptions under one name) was given and what failed."""

    delivered: int = 0
    failed: int = 0
    dropped: int = 0
    queued: int = 0
    last_error: str | None = None


class Mailbox:
    """A bounded FIFO of published events that makes room by dropping non-critical ones."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"queue size: must be at least 1, got {size}")
        self._size = size
        self._items: collections.deque[Published] = collections.deque()
        self._ready = asyncio.Event()
        self.closed = False

    def __len__(self) -> int:
        return len(self._items)

    def offer(self, item: Published) -> Published | None:
        """Queue ``item``; return the event dropped to make room (None: nothing dropped)."""
        dropped = None
        if len(self._items) >= self._size:
            dropped = self._evict(item)
            if dropped is item:
                return item
        self._items.append(item)
        self._ready.set()
        return dropped

    def _evict(self, incoming: Published) -> Published:
        for queued in self._items:
            if not queued.event.critical:
                self._items.remove(queued)
                return queued
        if incoming.event.critical:
            return self._items.popleft()  # only critical ones queued: the oldest gives way
        return incoming

    async def get(self) -> Published | None:
        """The next event, waiting for one; None once the mailbox is closed and empty."""
        while not self._items:
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def close(self) -> None:
        """Wake the reader: it drains what is queued, then gets None."""
        self.closed = True
        self._ready.set()


class Subscription:
    """One subscriber's place in the hub: its mailbox, its stats and (push) its task."""

    def __init__(self, name: str, mailbox: Mailbox, stats: DeliveryStats) -> None:
        self.name = name
        self.mailbox = mailbox
        self.stats = stats
        self.task: asyncio.Task[None] | None = None

    def __aiter__(self) -> AsyncIterator[Published]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Published]:
        while (item := await self.get()) is not None:
            yield item

    async def get(self, timeout_s: float | None = None) -> Published | None:
        """The next event (None: the hub closed); ``TimeoutError`` after ``timeout_s``.

        A timeout loses nothing: the event stays queued for the next call.
        """
        async with asyncio.timeout(timeout_s):
            item = await self.mailbox.get()
        if item is not None:
            self.stats.delivered += 1
        return item


class EventHub:
    """Fans events out: the Store's log first, then every subscription's mailbox."""

    def __init__(self, journal: Store | None = None) -> None:
        self._journal = journal
        self._lock = asyncio.Lock()
        self._subscriptions: list[Subscription] = []
        self._stats: dict[str, DeliveryStats] = {}
        self._local_ids = itertools.count(1)  # without a journal (tests, the CLI's dry paths)
        self._followed: int | None = None  # the last log id ``follow_log`` looked at
        self._own: set[int] = set()  # ids this hub published since then

    async def publish(self, event: DomainEvent) -> Published:
        """Log ``event`` (a Store error raises), then offer it to every subscriber."""
        async with self._lock:
            if self._journal is not None:
                record = await self._journal.append_event(
                    event.name, event.payload(), run_id=event.run_id, at=event.at
                )
                published = Published(record.id, event)
                if self._followed is not None:
                    self._own.add(record.id)
            else:
                published = Published(next(self._local_ids), event)
            for subscription in tuple(self._subscriptions):
                self._offer(subscription, published)
        return published

    async def follow_log(self, clock: Clock, interval_s: float) -> None:
        """Offer subscribers what other processes log from now on, until cancelled."""
        if self._journal is None:
            return
        await self.follow_log_from_now()
        while True:
            await clock.sleep(interval_s)
            try:
                await self.catch_up()
            except Exception:  # a Store hiccup: look again next time
                log.exception("reading the event log for other processes' events failed")

    async def follow_log_from_now(self) -> None:
        """Start following the log after its newest event (history is not replayed)."""
        assert self._journal is not None
        latest = await self._journal.events(limit=1)
        self._followed = latest[-1].id if latest else 0

    async def catch_up(self) -> int:
        """Offer the events others logged since the last look; return how many were offered.

        Reads the log in pages of ``FOLLOW_BATCH`` until it is exhausted, so a burst of any size
        written by another process between two looks reaches the subscribers.
        """
        assert self._journal is not None
        offered = 0
        while self._followed is not None:
            records = await self._journal.events_after(self._followed, limit=FOLLOW_BATCH)
            async with self._lock:
                offered += self._offer_logged(records)
            if len(records) < FOLLOW_BATCH:
                break
        return offered

    def _offer_logged(self, records: Sequence[EventRecord]) -> int:
        """Offer logged ``records`` that this hub did not publish itself; advance the mark."""
        assert self._followed is not None
        offered = 0
        for record in records:
            if record.id <= self._followed or record.id in self._own:
                continue
            event = event_from_log(record.kind, record.payload, record.at, record.run_id)
            if event is None:
                continue
            for subscription in tuple(self._subscriptions):
                self._offer(subscription, Published(record.id, event))
            offered += 1
        if records:
            self._followed = max(self._followed, records[-1].id)
        self._own = {i for i in self._own if i > self._followed}
        return offered

    def _offer(self, subscription: Subscription, published: Published) -> None:
        dropped = subscription.mailbox.offer(published)
        stats = subscription.stats
        if dropped is None:
            return
        stats.dropped += 1
        if stats.dropped == 1 or stats.dropped % DROP_LOG_EVERY == 0:
            log.warning(
                "event subscriber %s is not keeping up: dropped %s #%d (%d dropped so far)",
                subscription.name,
                dropped.event.name,
                dropped.id,
                stats.dropped,
            )

    def subscribe(
        self, subscriber: EventSubscriber, *, queue_size: int = DEFAULT_QUEUE_SIZE
    ) -> Subscription:
        """Deliver every event published from now on to ``subscriber`` from its own task."""
        subscription = self._add(subscriber.name, queue_size)
        subscription.task = asyncio.create_task(
            self._pump(subscriber, subscription), name=f"events:{subscriber.name}"
        )
        return subscription

    @contextlib.asynccontextmanager
    async def stream(
        self, name: str, *, queue_size: int = DEFAULT_QUEUE_SIZE
    ) -> AsyncIterator[Subscription]:
        """A pull subscription (``async for published in it``), removed when the block ends."""
        subscription = self._add(name, queue_size)
        try:
            yield subscription
        finally:
            self._remove(subscription)

    def _add(self, name: str, queue_size: int) -> Subscription:
        stats = self._stats.setdefault(name, DeliveryStats())
        subscription = Subscription(name, Mailbox(queue_size), stats)
        self._subscriptions.append(subscription)
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        subscription.mailbox.close()
        with contextlib.suppress(ValueError):
            self._subscriptions.remove(subscription)

    async def _pump(self, subscriber: EventSubscriber, subscription: Subscription) -> None:
        stats = subscription.stats
        while (published := await subscription.mailbox.get()) is not None:
            try:
                await subscriber.deliver(published)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a sink's failure never reaches the publisher
                stats.failed += 1
                stats.last_error = f"{type(error).__name__}: {error}"
                log.warning(
                    "event subscriber %s failed on %s #%d (%d failures): %s",
                    subscriber.name,
                    published.event.name,
                    published.id,
                    stats.failed,
                    stats.last_error,
                    exc_info=stats.failed == 1,
                )
            else:
                stats.delivered += 1

    def stats(self) -> Mapping[str, DeliveryStats]:
        """Per subscriber name: delivered, failed, dropped and (now) queued counts."""
        for stats in self._stats.values():
            stats.queued = 0
        for subscription in self._subscriptions:
            subscription.stats.queued += len(subscription.mailbox)
        return dict(self._stats)

    def scoped(self, portfolio: str) -> EventSink:
        """This hub, stamping ``portfolio`` on events published without one."""
        return PortfolioEvents(self, portfolio)

    async def aclose(self, timeout_s: float = 5.0) -> None:
        """Stop taking subscribers' events: let push subscribers drain for up to ``timeout_s``.

        Whatever a subscriber has not delivered by then is abandoned (and its task cancelled).
        """
        subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            subscription.mailbox.close()
        tasks = [s.task for s in subscriptions if s.task is not None]
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=timeout_s)
        for task in late:
            log.warning("event subscriber task %s did not drain in time", task.get_name())
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=1.0)


class PortfolioEvents:
    """An ``EventSink`` that stamps one portfolio on events published without one."""

    def __init__(self, sink: EventSink, portfolio: str) -> None:
        self._sink = sink
        self.portfolio = portfolio

    async def publish(self, event: DomainEvent) -> Published:
        """Publish ``event`` for this portfolio."""
        if event.portfolio is None:
            event = replace(event, portfolio=self.portfolio)
        return await self._sink.publish(event)


def _conforms(hub: EventHub, scoped: PortfolioEvents) -> tuple[EventSink, EventSink]:
    """Let mypy prove both implement the port."""
    return hub, scoped
