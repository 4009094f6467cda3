"""Telegram through python-telegram-bot against the fake Bot API: alerts with their levels,
flood control honoured, commands and buttons from the allow-listed chat only."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from tests.fakes.faults import Fault

from rebalancer.alerting.hints import Guards
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.events import (
    BreakerTransition,
    OrderPlaced,
    RoundPlanned,
    RunAwaitingApproval,
    RunTriggered,
)
from rebalancer.domain.market import OrderSide
from rebalancer.domain.plan import RunType
from rebalancer.domain.runs import RunStatus, Trigger

from .conftest import CHAT, STRANGER, World, WorldFactory
from .waiting import until


def now() -> datetime:
    return datetime.now(UTC)


async def new_run(world: World) -> str:
    """A run in the store (events of a run must name a stored one)."""
    run = await world.store.create_run("core", RunType.FULL, Trigger.DRIFT)
    return run.id


def triggered(run_id: str) -> RunTriggered:
    return RunTriggered(
        at=now(),
        portfolio="core",
        run_id=run_id,
        run_type=RunType.FULL,
        trigger=Trigger.DRIFT,
        reason="BTC 46.1% is outside its band 35..45%",
    )


async def test_alerts_arrive_as_html_with_their_levels(world_factory: WorldFactory) -> None:
    world = await world_factory()
    telegram = world.telegram
    assert telegram is not None

    run_id = await new_run(world)
    await world.hub.publish(triggered(run_id))
    placed = OrderPlaced(
        at=now(),
        portfolio="core",
        run_id=run_id,
        venue="binance",
        symbol="BTC/USDT",
        side=OrderSide.SELL,
        amount=Decimal("0.01"),
        price=None,
        client_order_id="rb-r1-n1-1",
        node_id="n1",
        round=1,
        latency_s=Decimal("0.01"),
    )
    await world.hub.publish(placed)  # off by default
    await world.hub.publish(
        RoundPlanned(at=now(), portfolio="core", run_id=run_id, round=1, orders=2, transfers=0)
    )

    await until("two messages", lambda: len(telegram.sent(CHAT)) >= 2)
    first, second = telegram.sent(CHAT)
    assert first["parse_mode"] == "HTML"
    assert first["text"].startswith(f"<b>▶️ core: run {run_id} started: rebalance (drift)</b>")
    assert "BTC 46.1% is outside its band" in first["text"]
    assert "<pre>" in first["text"]  # the weights against targets and bands
    assert first["disable_notification"] is False
    assert second["text"].startswith(f"<b>core: run {run_id} round 1: 2 order(s)")
    assert second["disable_notification"] is True  # RoundPlanned is silent
    await until("both counted", lambda: world.counts.sent == {"telegram": 2})


async def test_flood_control_is_waited_out_and_every_message_arrives_once_in_order(
    world_factory: WorldFactory,
) -> None:
    world = await world_factory()
    telegram = world.telegram
    assert telegram is not None
    telegram.arm("sendMessage", Fault(count=2, status=429, retry_after_s=1))

    ids = [await new_run(world) for _ in range(4)]
    for run_id in ids:
        await world.hub.publish(triggered(run_id))

    await until("four messages", lambda: len(telegram.sent(CHAT)) >= 4)
    sent = telegram.sent(CHAT)
    runs = [text["text"].split(" run ")[1].split()[0] for text in sent]  # "core: run ID ..."
    assert runs == ids
    attempts = telegram.of("sendMessage")
    assert [call.answered for call in attempts[:3]] == [429, 429, 200]
    assert attempts[1].at - attempts[0].at >= 0.9  # Retry-After: 1 was honoured
    assert world.counts.failed == {}


async def test_an_approval_button_approves_the_run_and_says_who(
    world_factory: WorldFactory,
) -> None:
    world = await world_factory()
    telegram = world.telegram
    assert telegram is not None
    run = await world.store.create_run(
        "core", RunType.FULL, Trigger.DRIFT, status=RunStatus.AWAITING_APPROVAL
    )
    await world.hub.publish(
        RunAwaitingApproval(
            at=now(), portfolio="core", run_id=run.id, round=1, notional=Decimal("12345.678")
        )
    )
    (message,) = await until("the approval message", lambda: telegram.sent(CHAT))
    buttons = message["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"] for b in buttons] == [f"approve:{run.id}", f"reject:{run.id}"]
    assert f"/approve {run.id}" in message["text"]
    assert "12,345.68 USDT" in message["text"]
    await until("polling", telegram.polling)

    telegram.press(CHAT, f"approve:{run.id}")

    await until("RunApproved", lambda: world.counts.sent.get("telegram", 0) >= 2)
    (approval,) = [e for e in await world.store.events(run.id) if e.kind == "RunApproved"]
    assert approval.payload["by"] == "telegram:@alice"
    await until("the answer", lambda: telegram.of("answerCallbackQuery"))
    reply = f"<b>👍 Run {run.id} approved</b>"
    await until(
        "the reply", lambda: [m for m in telegram.sent(CHAT) if m["text"].startswith(reply)]
    )


async def test_a_chat_not_allow_listed_changes_nothing(world_factory: WorldFactory) -> None:
    world = await world_factory(guards=Guards(allow_resume=True))
    telegram = world.telegram
    assert telegram is not None
    await world.store.set_breaker(BreakerState.HALTED, ["test"])
    await until("polling", telegram.polling)

    telegram.send_text(STRANGER, "/resume because I say so")
    telegram.send_text(STRANGER, "/pause core")
    telegram.send_text(CHAT, "/status")

    reply = await until("the status reply", lambda: telegram.sent(CHAT))
    assert reply[0]["text"].startswith("<b>🛑 Breaker HALTED</b>")
    breaker = await world.store.get_breaker()
    assert breaker is not None
    assert breaker.state is BreakerState.HALTED
    assert await world.store.get_pause("core") is None
    assert telegram.sent(STRANGER) == []
    commands = [e for e in await world.store.events() if e.kind == "CommandReceived"]
    strangers = [e for e in commands if e.payload["accepted"] is False]
    assert len(strangers) == 1  # said once, however often it writes
    assert "not allow-listed" in str(strangers[0].payload["detail"])


async def test_a_halt_is_loud_and_says_how_to_resume(world_factory: WorldFactory) -> None:
    world = await world_factory(guards=Guards(allow_resume=True))
    telegram = world.telegram
    assert telegram is not None
    await world.hub.publish(
        BreakerTransition(
            at=now(),
            previous=BreakerState.ACTIVE,
            state=BreakerState.HALTED,
            reason="price_check",
            detail="BTC/USDT moved 20.00%",
        )
    )
    (message,) = await until("the HALT", lambda: telegram.sent(CHAT))
    assert message["text"].startswith(
        "<b>🛑 Trading HALTED: price_check</b>\nBTC/USDT moved 20.00%"
    )
    assert "/resume WHY" in message["text"]
    assert "rebalancer resume --reason WHY --config /etc/rebalancer/config.toml" in message["text"]
    assert message["disable_notification"] is False


async def test_set_asides_are_listed_and_released_once_from_the_chat(
    world_factory: WorldFactory,
) -> None:
    world = await world_factory()
    telegram = world.telegram
    assert telegram is not None
    held = await world.store.record_set_aside(
        "core", "binance", "USDT", Decimal("5000"), seen_balance=Decimal("6000")
    )
    await until("polling", telegram.polling)

    telegram.send_text(CHAT, "/setasides core")
    (listed,) = await until("the list", lambda: telegram.sent(CHAT))
    assert listed["text"].startswith("<b>💵 core: 1 set-aside(s), held out for withdrawals</b>")
    assert f"{held.id}  5,000 USDT on binance  since " in listed["text"]
    assert f"/release core {held.id}" in listed["text"]

    telegram.send_text(CHAT, f"/release core {held.id} paid from the bank")
    telegram.send_text(CHAT, f"/release core {held.id}")

    def texts(start: str) -> list[str]:
        return [m["text"] for m in telegram.sent(CHAT) if m["text"].startswith(start)]

    (done,) = await until("the release", lambda: texts(f"<b>↩️ Set-aside {held.id} released"))
    assert "5,000 USDT on binance is core's cash again" in done
    (again,) = await until("the second answer", lambda: texts(f"<b>❌ set-aside {held.id}"))
    assert "is no longer held: already released by telegram:@alice at " in again
    await until("the release's alert", lambda: texts("<b>↩️ telegram:@alice released"))
    item = await world.store.get_set_aside(held.id)
    assert (item.released_by, item.release_reason) == ("telegram:@alice", "paid from the bank")
    released = [e for e in await world.store.events() if e.kind == "SetAsideReleased"]
    assert len(released) == 1
