"""One sink's queued sender: messages go out one at a time, in order, from its own task.

``put`` never waits (trading publishes and moves on). The sender takes the oldest message and
tries until it is sent or given up on:

- ``RateLimited`` (HTTP 429, Telegram's flood control): wait what the service asked
  (``Retry-After``), then send the same message again; everything behind it waits too, so the
  order holds and nothing goes out twice;
- ``TransientFailure`` (a timeout, a dropped connection, a 5xx): back off (1 s, doubling, at
  most a minute, with jitter) and try again; an ordinary message is given up on after
  ``max_attempts``, a **critical one never** (it waits for the service to come back);
- ``PermanentFailure`` (the service refused it: a bad token, an unknown chat): given up on at
  once, with the service's reason in the log. A critical message still reaches every other sink.

The queue is bounded: when full, the oldest ordinary message makes room (counted, logged); a
critical one is never dropped while an ordinary one could go instead.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from rebalancer.alerting.message import Message
from rebalancer.ports import Clock

log = logging.getLogger(__name__)

DEFAULT_SIZE = 500


class SendFailure(Exception):
    """A message did not go out."""


class RateLimited(SendFailure):
    """The service asked us to wait ``retry_after_s`` before sending again."""

    def __init__(self, retry_after_s: float, detail: str = "") -> None:
        super().__init__(detail or f"rate limited: retry after {retry_after_s:g} s")
        self.retry_after_s = retry_after_s


class TransientFailure(SendFailure):
    """Worth trying again: a timeout, a lost connection, a server error."""


class PermanentFailure(SendFailure):
    """The service refused the message; sending it again would be refused again."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to one destination (a chat id, a channel, a URL) of a sink."""

    destination: str
    message: Message
    silent: bool = False

    @property
    def critical(self) -> bool:
        """True for a message that is never dropped nor given up on."""
        return self.message.critical

    def describe(self) -> str:
        """``RunEnded #42 to 123456`` (for the log)."""
        ident = f" #{self.message.event_id}" if self.message.event_id is not None else ""
        return f"{self.message.name}{ident} to {self.destination}"


class Transport(Protocol):
    """Sends one message to one destination; raises a ``SendFailure`` when it did not go."""

    async def send(self, item: Outgoing) -> None:
        """Send ``item``."""
        ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard the sender tries (see the module doc)."""

    first_backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    max_attempts: int = 8  # an ordinary message; a critical one has no limit
    max_retry_after_s: float = 900.0  # a longer Retry-After is waited in pieces of this


@dataclass(slots=True)
class OutboxStats:
    """What one sink sent, gave up on, dropped from a full queue, and how often it waited."""

    sent: int = 0
    failed: int = 0
    dropped: int = 0
    retried: int = 0
    rate_limited: int = 0


class Outbox:
    """The queued sender of one sink (see the module doc)."""

    def __init__(
        self,
        name: str,
        transport: Transport,
        clock: Clock,
        *,
        size: int = DEFAULT_SIZE,
        policy: RetryPolicy | None = None,
        on_sent: Callable[[str], None] | None = None,
        on_failed: Callable[[str], None] | None = None,
    ) -> None:
        self.name = name
        self.stats = OutboxStats()
        self._transport = transport
        self._clock = clock
        self._size = size
        self._policy = policy or RetryPolicy()
        self._on_sent = on_sent or (lambda _sink: None)
        self._on_failed = on_failed or (lambda _sink: None)
        self._queue: collections.deque[Outgoing] = collections.deque()
        self._ready = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False
        self._task: asyncio.Task[None] | None = None
        self._in_flight = 0

    def __len__(self) -> int:
        return len(self._queue) + self._in_flight

    def start(self) -> None:
        """Start the sender task."""
        self._task = asyncio.create_task(self._run(), name=f"alerts:{self.name}")

    def put(self, item: Outgoing) -> None:
        """Queue ``item`` (never waits); a full queue drops its oldest ordinary message."""
        if len(self._queue) >= self._size and not self._make_room(item):
            return
        self._queue.append(item)
        self._idle.clear()
        self._ready.set()

    def _make_room(self, incoming: Outgoing) -> bool:
        victim = next((item for item in self._queue if not item.critical), None)
        if victim is None:
            if not incoming.critical:
                self._dropped(incoming)
                return False
            victim = self._queue[0]
        self._queue.remove(victim)
        self._dropped(victim)
        return True

    def _dropped(self, item: Outgoing) -> None:
        self.stats.dropped += 1
        self._on_failed(self.name)
        log.warning(
            "alerts %s: queue full (%d), dropped %s", self.name, self._size, item.describe()
        )

    async def _run(self) -> None:
        while True:
            while not self._queue:
                self._idle.set()
                if self._closed:
                    return
                self._ready.clear()
                await self._ready.wait()
            item = self._queue.popleft()  # in flight: no longer a candidate for dropping
            self._in_flight = 1
            try:
                await self._deliver(item)
            finally:
                self._in_flight = 0

    async def _deliver(self, item: Outgoing) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._transport.send(item)
            except RateLimited as limited:
                self.stats.rate_limited += 1
                wait_s = min(max(limited.retry_after_s, 0.0), self._policy.max_retry_after_s)
                log.warning(
                    "alerts %s: rate limited on %s; retrying in %.1f s",
                    self.name,
                    item.describe(),
                    wait_s,
                )
                attempt -= 1  # the service said when: not a failed attempt
                await self._clock.sleep(wait_s)
            except TransientFailure as error:
                if not item.critical and attempt >= self._policy.max_attempts:
                    self._give_up(item, f"{error} (after {attempt} attempts)")
                    return
                wait_s = self._backoff(attempt)
                self.stats.retried += 1
                log.warning(
                    "alerts %s: %s not sent (%s); attempt %d, retrying in %.1f s",
                    self.name,
                    item.describe(),
                    error,
                    attempt,
                    wait_s,
                )
                await self._clock.sleep(wait_s)
            except PermanentFailure as error:
                self._give_up(item, str(error))
                return
            else:
                self.stats.sent += 1
                self._on_sent(self.name)
                return

    def _backoff(self, attempt: int) -> float:
        policy = self._policy
        ceiling = min(policy.max_backoff_s, policy.first_backoff_s * 2.0 ** (attempt - 1))
        jitter: float = random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret
        return ceiling * jitter

    def _give_up(self, item: Outgoing, why: str) -> None:
        self.stats.failed += 1
        self._on_failed(self.name)
        log.error("alerts %s: gave up on %s: %s", self.name, item.describe(), why)

    async def close(self, timeout_s: float) -> bool:
        """Send what is queued for up to ``timeout_s``, then stop; True when all went out."""
        self._closed = True
        self._ready.set()
        task = self._task
        if task is None:
            return not self._queue
        done, _ = await asyncio.wait({task}, timeout=timeout_s)
        if not done:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            log.warning("alerts %s: %d message(s) not sent at shutdown", self.name, len(self))
            return False
        return True

    async def wait_idle(self, timeout_s: float) -> bool:
        """Wait until everything queued went out (or was given up); False on timeout."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True
