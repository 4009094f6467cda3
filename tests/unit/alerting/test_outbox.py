"""The outbox: order kept, Retry-After waited, transient errors retried, critical messages never
given up nor dropped while an ordinary one can go. The transport here is our own recording
class (no library involved); the clock records the waits instead of sleeping them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from rebalancer.alerting.message import Message
from rebalancer.alerting.outbox import (
    Outbox,
    Outgoing,
    PermanentFailure,
    RateLimited,
    RetryPolicy,
    SendFailure,
    TransientFailure,
)


class FastClock:
    """Records every wait and yields to the loop instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


class Scripted:
    """Fails the first attempts as scripted, then accepts; records every attempt."""

    def __init__(self, failures: Iterator[SendFailure | None]) -> None:
        self._failures = failures
        self.attempts: list[str] = []
        self.accepted: list[str] = []

    async def send(self, item: Outgoing) -> None:
        self.attempts.append(item.message.headline)
        failure = next(self._failures, None)
        if failure is not None:
            raise failure
        self.accepted.append(item.message.headline)


def item(text: str, *, critical: bool = False) -> Outgoing:
    return Outgoing("chat", Message(text, critical=critical))


async def drained(outbox: Outbox) -> None:
    assert await outbox.wait_idle(5.0)


async def test_retry_after_is_waited_and_the_order_kept_with_nothing_sent_twice() -> None:
    transport = Scripted(iter([RateLimited(2.0), RateLimited(2.0)]))
    clock = FastClock()
    outbox = Outbox("t", transport, clock)
    outbox.start()
    for text in ("a", "b", "c"):
        outbox.put(item(text))
    await drained(outbox)
    assert transport.accepted == ["a", "b", "c"]
    assert transport.attempts == ["a", "a", "a", "b", "c"]
    assert clock.waits == [2.0, 2.0]
    assert (outbox.stats.sent, outbox.stats.rate_limited, outbox.stats.failed) == (3, 2, 0)
    await outbox.close(1.0)


async def test_an_ordinary_message_is_given_up_after_its_attempts_a_critical_one_never() -> None:
    failures = [TransientFailure("down")] * 30
    transport = Scripted(iter(failures))
    clock = FastClock()
    failed: list[str] = []
    outbox = Outbox(
        "t", transport, clock, policy=RetryPolicy(max_attempts=3), on_failed=failed.append
    )
    outbox.start()
    outbox.put(item("ordinary"))
    outbox.put(item("HALT", critical=True))
    await drained(outbox)
    assert transport.attempts.count("ordinary") == 3
    assert transport.accepted == ["HALT"]
    assert transport.attempts.count("HALT") == 28  # tried until the service came back
    assert failed == ["t"]
    assert max(clock.waits) <= 60.0  # backoff is capped
    await outbox.close(1.0)


async def test_a_refusal_is_not_retried() -> None:
    transport = Scripted(iter([PermanentFailure("chat not found")]))
    outbox = Outbox("t", transport, FastClock())
    outbox.start()
    outbox.put(item("a"))
    outbox.put(item("b"))
    await drained(outbox)
    assert transport.attempts == ["a", "b"]
    assert (outbox.stats.failed, outbox.stats.sent) == (1, 1)
    await outbox.close(1.0)


@pytest.mark.parametrize("incoming_critical", [False, True])
async def test_a_full_queue_drops_the_oldest_ordinary_message_never_a_critical_one(
    incoming_critical: bool,
) -> None:
    transport = Scripted(iter([]))
    outbox = Outbox("t", transport, FastClock(), size=3)  # not started: everything queues
    outbox.put(item("HALT", critical=True))
    outbox.put(item("old"))
    outbox.put(item("newer"))
    outbox.put(item("incoming", critical=incoming_critical))
    assert outbox.stats.dropped == 1
    outbox.start()
    await drained(outbox)
    assert transport.accepted == ["HALT", "newer", "incoming"]
    await outbox.close(1.0)


async def test_only_critical_messages_queued_the_oldest_gives_way_to_a_critical_one() -> None:
    transport = Scripted(iter([]))
    outbox = Outbox("t", transport, FastClock(), size=2)
    outbox.put(item("h1", critical=True))
    outbox.put(item("h2", critical=True))
    outbox.put(item("ordinary"))  # no room and nothing ordinary to drop: it is dropped
    outbox.put(item("h3", critical=True))
    outbox.start()
    await drained(outbox)
    assert transport.accepted == ["h2", "h3"]
    assert outbox.stats.dropped == 2
    await outbox.close(1.0)
