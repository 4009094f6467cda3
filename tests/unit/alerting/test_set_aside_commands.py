"""``/setasides P`` and ``/release P ID [REASON]``: parsed and answered by the command desk,
carried out by ``services.operations`` on the in-memory Store (the same rules as the state
database's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from tests.unit.planner.builders import policy

from rebalancer.alerting.commands import CommandContext, CommandDesk, Sender
from rebalancer.alerting.hints import Guards, Hints, slack_command, telegram_command
from rebalancer.alerting.render import Renderer
from rebalancer.alerting.status_text import set_aside_lines
from rebalancer.backtest.clock import SimulatedClock
from rebalancer.backtest.memory_store import MemoryStore
from rebalancer.domain.events import Published, SetAsideExpiring
from rebalancer.domain.set_asides import ReleaseCause, SetAside
from rebalancer.services import operations

AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
ALICE = Sender("telegram", "@alice", "4242")
BOB = Sender("slack", "@bob", "C0TRADING")
CORE = policy({"BTC": "80", "USDT": "20"}, venues=("binance", "okx"))


async def no_standing(name: str) -> None:
    del name


def shell(*words: str) -> str:
    return " ".join(("rebalancer", *words))


def desk_of(store: MemoryStore, clock: SimulatedClock, chat: str = "telegram") -> CommandDesk:
    return CommandDesk(
        CommandContext(
            desk=operations.Desk.of(store, clock),
            policies=lambda: {"core": CORE},
            lookup=no_standing,
            snapshot=lambda p: None,
            guards=Guards(),
            chat_command=telegram_command if chat == "telegram" else slack_command,
        )
    )


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(AT)


@pytest.fixture
def store(clock: SimulatedClock) -> MemoryStore:
    return MemoryStore(clock)


async def hold(store: MemoryStore, amount: str, venue: str = "binance", days: int = 30) -> str:
    item = await store.record_set_aside(
        "core",
        venue,
        "USDT",
        Decimal(amount),
        seen_balance=Decimal(amount),
        expires_at=AT + timedelta(days=days) if days else None,
    )
    return item.id


async def commands_logged(store: MemoryStore) -> list[tuple[str, bool, str]]:
    return [
        (str(e.payload["command"]), bool(e.payload["accepted"]), str(e.payload["detail"]))
        for e in await store.events()
        if e.kind == "CommandReceived"
    ]


async def test_the_list_shows_id_venue_amount_since_and_expiry(
    store: MemoryStore, clock: SimulatedClock
) -> None:
    first = await hold(store, "5000")
    second = await hold(store, "1234.5", venue="okx", days=0)

    reply = await desk_of(store, clock).handle("/setasides core", ALICE)

    assert reply.headline == "💵 core: 2 set-aside(s), held out for withdrawals"
    assert reply.table == (
        f"{first}  5,000 USDT on binance  since 2026-12-06 09:00  expires 2027-01-05 09:00",
        f"{second}  1,234.5 USDT on okx  since 2026-12-06 09:00  never expires",
    )
    assert reply.next_steps == ("/release core ID",)


async def test_one_set_aside_is_offered_for_release_by_its_id_as_the_chat_writes_it(
    store: MemoryStore, clock: SimulatedClock
) -> None:
    held = await hold(store, "5000")

    reply = await desk_of(store, clock, chat="slack").handle("set_asides core", BOB)

    assert reply.next_steps == (f"/rebalancer release core {held}",)


async def test_nothing_set_aside_says_so(store: MemoryStore, clock: SimulatedClock) -> None:
    reply = await desk_of(store, clock).handle("/setasides core", ALICE)

    assert reply.headline == "No cash set aside in core."


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("/setasides", "❌ usage: setasides P"),
        ("/setasides core extra", "❌ usage: setasides P"),
        ("/setasides nope", "❌ portfolio: no portfolio named 'nope' (known: core)"),
        ("/release", "❌ usage: release P ID [REASON]"),
        ("/release core", "❌ usage: release P ID [REASON]"),
        ("/release core sa-missing", "❌ no set-aside sa-missing in core"),
        ("/release nope sa-missing", "❌ portfolio: no portfolio named 'nope' (known: core)"),
    ],
)
async def test_a_wrong_command_is_refused_with_its_usage_and_logged(
    store: MemoryStore, clock: SimulatedClock, text: str, answer: str
) -> None:
    reply = await desk_of(store, clock).handle(text, ALICE)

    assert reply.headline == answer
    assert await commands_logged(store) == [(text, False, answer.removeprefix("❌ "))]


async def test_a_release_gives_the_cash_back_and_names_who_and_why(
    store: MemoryStore, clock: SimulatedClock
) -> None:
    held = await hold(store, "5000")

    reply = await desk_of(store, clock).handle(f"/release core {held} paid from the bank", ALICE)

    assert reply.headline == (
        f"↩️ Set-aside {held} released: 5,000 USDT on binance is core's cash again"
    )
    item = await store.get_set_aside(held)
    assert (item.active, item.release_cause, item.released_by, item.release_reason) == (
        False,
        ReleaseCause.RELEASED,
        "telegram:@alice",
        "paid from the bank",
    )
    (event,) = [e for e in await store.events() if e.kind == "SetAsideReleased"]
    assert (event.payload["by"], event.payload["cause"]) == ("telegram:@alice", "released")
    assert await store.set_asides("core") == []


async def test_a_release_without_a_reason_says_which_chat_it_came_from(
    store: MemoryStore, clock: SimulatedClock
) -> None:
    held = await hold(store, "5000")

    await desk_of(store, clock, chat="slack").handle(f"release core {held}", BOB)

    item = await store.get_set_aside(held)
    assert (item.released_by, item.release_reason) == ("slack:@bob", "released from slack")


async def test_a_second_release_answers_that_it_is_already_released_by_whom_and_when(
    store: MemoryStore, clock: SimulatedClock
) -> None:
    held = await hold(store, "5000")
    desk = desk_of(store, clock)
    await desk.handle(f"/release core {held}", ALICE)
    clock.advance_to(AT + timedelta(minutes=5))

    again = await desk_of(store, clock, chat="slack").handle(f"release core {held}", BOB)

    assert again.headline == (
        f"❌ set-aside {held} is no longer held: already released by telegram:@alice "
        "at 2026-12-06 09:00:00 UTC"
    )
    released = [e for e in await store.events() if e.kind == "SetAsideReleased"]
    assert len(released) == 1  # the second changed nothing


async def test_a_set_aside_that_left_the_venue_is_already_withdrawn(
    store: MemoryStore, clock: SimulatedClock
) -> None:
    held = await hold(store, "5000")
    await store.release_set_aside(held, ReleaseCause.WITHDRAWN, by="daemon")

    again = await desk_of(store, clock).handle(f"/release core {held}", ALICE)

    assert again.headline == (
        f"❌ set-aside {held} is no longer held: already withdrawn at 2026-12-06 09:00:00 UTC"
    )


async def test_help_lists_the_set_aside_commands(store: MemoryStore, clock: SimulatedClock) -> None:
    reply = await desk_of(store, clock).handle("/help", ALICE)

    lines = [line for line in reply.details if "set-aside" in line or "set aside" in line]
    assert [line.split(":")[0] for line in lines] == ["/setasides P", "/release P ID [REASON]"]
    assert not any("off in this config" in line for line in lines)


def test_set_aside_lines_keep_the_amount_to_the_last_unit_a_person_withdraws() -> None:
    item = SetAside(
        id="sa-1f2e3d4c",
        portfolio="core",
        venue="binance",
        asset="USDT",
        amount=Decimal("5000.12345678"),
        created_at=AT,
        seen_balance=Decimal("6000"),
        seen_at=AT,
    )

    assert set_aside_lines((item,)) == (
        "sa-1f2e3d4c  5,000.12345678 USDT on binance  since 2026-12-06 09:00  never expires",
    )
    assert set_aside_lines(()) == ()


async def test_an_expiry_warning_offers_the_chat_release_in_a_chat_and_the_shell_elsewhere() -> (
    None
):
    event = SetAsideExpiring(
        at=AT,
        portfolio="core",
        set_aside_id="sa-1f2e3d4c",
        venue="binance",
        asset="USDT",
        amount=Decimal("5000"),
        expires_at=AT + timedelta(days=1),
    )
    renderer = Renderer(no_standing)
    chat = Hints(shell, telegram_command, Guards())
    webhook = Hints(shell, None, Guards())

    in_chat = await renderer.render(Published(1, event), chat)
    elsewhere = await renderer.render(Published(2, event), webhook)

    assert in_chat.next_steps == ("/release core sa-1f2e3d4c",)
    assert elsewhere.next_steps == ("rebalancer set-aside core --release sa-1f2e3d4c",)
