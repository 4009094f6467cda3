"""Slack through slack_sdk (Web API, Socket Mode, incoming webhook) and the signed webhook,
against the loopback fakes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests.fakes.faults import Fault

from rebalancer.alerting.hints import Guards
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.events import (
    BreakerTransition,
    RoundPlanned,
    RunAwaitingApproval,
    RunEnded,
    RunTriggered,
)
from rebalancer.domain.plan import RunType
from rebalancer.domain.runs import RunStatus, Trigger

from .conftest import CHANNEL, World, WorldFactory
from .waiting import until


def now() -> datetime:
    return datetime.now(UTC)


def halted() -> BreakerTransition:
    return BreakerTransition(
        at=now(),
        previous=BreakerState.ACTIVE,
        state=BreakerState.HALTED,
        reason="repeated_failures",
        detail="3 orders rejected in a row",
    )


async def lifecycle(world: World) -> str:
    """A run's events from start to FILLED; returns its id."""
    run = await world.store.create_run("core", RunType.FULL, Trigger.DRIFT)
    for event in (
        RunTriggered(
            at=now(),
            portfolio="core",
            run_id=run.id,
            run_type=RunType.FULL,
            trigger=Trigger.DRIFT,
            reason="ETH 33% is outside its band",
        ),
        RoundPlanned(at=now(), portfolio="core", run_id=run.id, round=1, orders=2, transfers=1),
        RoundPlanned(at=now(), portfolio="core", run_id=run.id, round=2, orders=1, transfers=0),
        RunEnded(
            at=now(),
            portfolio="core",
            run_id=run.id,
            status=RunStatus.FILLED,
            reason="inside its bands",
            rounds=2,
            traded=Decimal("18145.04"),
            cost=Decimal("18.15"),
            residual=Decimal("1.2"),
            inside_bands=True,
        ),
    ):
        await world.hub.publish(event)
    return run.id


async def test_a_halt_reaches_the_channel_with_an_at_channel_mention(
    world_factory: WorldFactory,
) -> None:
    world = await world_factory(telegram=False, slack="bot", guards=Guards(allow_resume=True))
    slack = world.slack
    assert slack is not None

    await world.hub.publish(halted())

    (post,) = await until("the HALT", lambda: slack.messages(CHANNEL))
    assert post["text"] == "<!channel> 🛑 Trading HALTED: repeated_failures"
    section = post["blocks"][0]["text"]["text"]
    assert "Nothing new is traded" in section
    steps = post["blocks"][-1]["elements"][0]["text"]
    assert "`/rebalancer resume WHY`" in steps
    assert "rebalancer resume --reason WHY --config /etc/rebalancer/config.toml" in steps


async def test_slash_commands_and_buttons_come_through_socket_mode(
    world_factory: WorldFactory,
) -> None:
    world = await world_factory(telegram=False, slack="bot")
    slack = world.slack
    assert slack is not None
    run = await world.store.create_run(
        "core", RunType.FULL, Trigger.DRIFT, status=RunStatus.AWAITING_APPROVAL
    )
    await world.hub.publish(
        RunAwaitingApproval(
            at=now(), portfolio="core", run_id=run.id, round=1, notional=Decimal("5000")
        )
    )
    (approval,) = await until("the approval message", lambda: slack.messages(CHANNEL))
    actions = approval["blocks"][-1]
    assert actions["type"] == "actions"
    assert [(b["action_id"], b["value"]) for b in actions["elements"]] == [
        ("approve", run.id),
        ("reject", run.id),
    ]
    await until("Socket Mode connected", slack.connected)

    status = slack.slash("status core", CHANNEL)
    await until("the status reply", lambda: len(slack.messages(CHANNEL)) >= 2)
    assert slack.acked(status)
    assert slack.messages(CHANNEL)[1]["text"] == "✅ Breaker ACTIVE"
    pressed = slack.press("approve", run.id, CHANNEL)
    await until("the approval", lambda: len(slack.messages(CHANNEL)) >= 4)
    assert slack.acked(pressed)
    texts = [m["text"] for m in slack.messages(CHANNEL)]
    assert f"👍 Run {run.id} approved" in texts
    (logged,) = [e for e in await world.store.events(run.id) if e.kind == "RunApproved"]
    assert logged.payload["by"] == "slack:@alice"

    stranger = slack.press("reject", run.id, "C0ELSEWHERE")
    await until("the stranger's ack", lambda: slack.acked(stranger))
    commands = [e for e in await world.store.events() if e.kind == "CommandReceived"]
    assert [e.payload["accepted"] for e in commands] == [True, True, False]
    assert all(m["channel"] == CHANNEL for m in slack.messages())


async def test_a_webhook_sink_waits_out_429_and_delivers_in_order(
    world_factory: WorldFactory,
) -> None:
    world = await world_factory(telegram=False, slack="webhook")
    slack = world.slack
    assert slack is not None
    slack.arm("webhook", Fault(count=1, status=429, retry_after_s=1))

    run_id = await lifecycle(world)

    await until("four posts", lambda: len(slack.hooked()) >= 4)
    texts = [body["text"] for body in slack.hooked()]
    assert texts[0].startswith(f"▶️ core: run {run_id} started: rebalance")
    assert texts[-1].startswith(f"✅ core: run {run_id} FILLED")
    assert "actions" not in [b["type"] for body in slack.hooked() for b in body["blocks"]]


async def test_every_webhook_delivery_is_signed_and_named_by_its_lifecycle(
    world_factory: WorldFactory,
) -> None:
    world = await world_factory(telegram=False, webhook=True)
    receiver = world.receiver
    assert receiver is not None
    receiver.arm(Fault(count=1, status=503))  # the first delivery is retried, same key

    run_id = await lifecycle(world)
    await world.hub.publish(halted())

    taken = await until("five deliveries", lambda: len(receiver.taken()) >= 5 and receiver.taken())
    assert all(d.verified for d in receiver.deliveries)
    assert receiver.repeats == 1
    assert [b["type"] for b in taken] == [
        "run.new",
        "run.processing",
        "run.updated",
        "run.filled",
        "breaker.halted",
    ]
    filled = taken[3]
    assert filled["run_id"] == run_id
    assert filled["data"]["traded"] == "18145.04"
    assert filled["critical"] is False
    assert taken[4]["critical"] is True
    keys = [d.headers["Idempotency-Key"] for d in receiver.deliveries]
    assert len(set(keys)) == 5


async def test_a_sink_that_never_answers_holds_up_neither_publishing_nor_the_others(
    world_factory: WorldFactory,
) -> None:
    world = await world_factory(slack="bot", webhook=True)
    telegram, slack, receiver = world.telegram, world.slack, world.receiver
    assert telegram is not None
    assert slack is not None
    assert receiver is not None
    telegram.arm("sendMessage", Fault(count=1000, hang=True))

    run_id = await lifecycle(world)  # every publish returns: nothing waits for Telegram
    await world.hub.publish(halted())

    await until("the webhook's five", lambda: len(receiver.taken()) >= 5)
    await until("Slack's HALT", lambda: any("HALTED" in m["text"] for m in slack.messages()))
    hanging = telegram.of("sendMessage")
    assert len(hanging) == 1  # the first is still waiting for an answer; the rest queue
    assert hanging[0].answered == 0
    assert len(world.alerts.sinks[0].outbox) >= 3  # RunTriggered in flight, RunEnded, HALT
    assert run_id in receiver.taken()[0]["run_id"]


async def test_set_asides_are_listed_and_released_once_through_socket_mode(
    world_factory: WorldFactory,
) -> None:
    world = await world_factory(telegram=False, slack="bot")
    slack = world.slack
    assert slack is not None
    held = await world.store.record_set_aside(
        "core", "binance", "USDT", Decimal("5000"), seen_balance=Decimal("6000")
    )
    await until("Socket Mode connected", slack.connected)

    def posts(start: str) -> list[dict[str, Any]]:
        return [m for m in slack.messages(CHANNEL) if m["text"].startswith(start)]

    listed = slack.slash("setasides core", CHANNEL)
    (listing,) = await until("the list", lambda: posts("💵 core: 1 set-aside(s)"))
    assert slack.acked(listed)
    blocks = str(listing["blocks"])
    assert f"{held.id}  5,000 USDT on binance  since " in blocks
    assert f"/rebalancer release core {held.id}" in blocks

    slack.slash(f"release core {held.id} the withdrawal is off", CHANNEL)
    await until("the release", lambda: posts(f"↩️ Set-aside {held.id} released"))
    slack.slash(f"release core {held.id}", CHANNEL)
    (again,) = await until("the second answer", lambda: posts(f"❌ set-aside {held.id}"))
    assert "no longer held: already released by slack:@alice at " in again["text"]
    item = await world.store.get_set_aside(held.id)
    assert (item.released_by, item.release_reason) == ("slack:@alice", "the withdrawal is off")
    commands = [e for e in await world.store.events() if e.kind == "CommandReceived"]
    assert [e.payload["accepted"] for e in commands] == [True, True, False]
