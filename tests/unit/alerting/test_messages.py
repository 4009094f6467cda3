"""What a trader reads: every event type has a message; amounts carry units; next steps are
commands that work as typed; the webhook's lifecycle names."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from rebalancer.alerting.commands import Refused, _run_request
from rebalancer.alerting.formatting import amount, money, percent
from rebalancer.alerting.hints import Guards, Hints, slack_command, telegram_command
from rebalancer.alerting.lifecycle import lifecycle_name
from rebalancer.alerting.message import Button
from rebalancer.alerting.render import Renderer, renders
from rebalancer.core.daily import next_daily
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.events import (
    EVENT_TYPES,
    BreakerTransition,
    DaemonStopping,
    Digest,
    Published,
    RoundPlanned,
    RunAwaitingApproval,
    RunEnded,
)
from rebalancer.domain.plan import RunType
from rebalancer.domain.runs import RunStatus

AT = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


def shell(*words: str) -> str:
    return " ".join(("rebalancer", *words, "--config", "/etc/rebalancer/config.toml"))


async def no_portfolio(name: str) -> None:
    return None


HINTS = Hints(shell, telegram_command, Guards(approve_max_notional=Decimal(10_000)))


def test_every_event_type_has_a_message() -> None:
    missing = [
        name for name, kind in EVENT_TYPES.items() if name != "DomainEvent" and not renders(kind)
    ]
    assert missing == []


def test_numbers_read_as_a_trader_writes_them() -> None:
    assert money(Decimal("12345.675"), "USDT") == "12,345.68 USDT"
    assert amount(Decimal("0.50000000"), "ETH") == "0.5 ETH"
    assert amount(Decimal("12000"), "USDT") == "12,000 USDT"
    assert percent(Decimal("46.12345")) == "46.12%"


async def test_an_approval_above_the_chat_limit_has_no_approve_button_and_says_why() -> None:
    event = RunAwaitingApproval(
        at=AT, portfolio="core", run_id="abc", round=1, notional=Decimal("25000")
    )
    message = await Renderer(no_portfolio).render(Published(3, event), HINTS)
    assert message.buttons == (Button.parse("reject:abc"),)
    assert any("above the chat approval limit of 10,000.00" in line for line in message.details)
    assert message.next_steps == (
        "/reject abc",
        "rebalancer approve abc --config /etc/rebalancer/config.toml",
    )


async def test_a_failed_run_says_where_to_look_and_a_parked_stop_is_critical() -> None:
    renderer = Renderer(no_portfolio)
    ended = RunEnded(
        at=AT,
        portfolio="core",
        run_id="abc",
        status=RunStatus.FAILED,
        reason="3 orders rejected",
        rounds=1,
        traded=Decimal(0),
        cost=Decimal(0),
    )
    message = await renderer.render(Published(4, ended), HINTS)
    assert message.headline == "❌ core: run abc FAILED"
    assert message.next_steps == ("rebalancer runs show abc --config /etc/rebalancer/config.toml",)
    stopping = await renderer.render(
        Published(5, DaemonStopping(at=AT, reason="stop signal", parked=("abc",))), HINTS
    )
    assert stopping.critical
    assert stopping.headline == "🚨 rebalancer stopping with runs abc parked"


async def test_a_digest_shows_weights_against_targets_and_bands() -> None:
    digest = Digest(
        at=AT,
        portfolio="core",
        quote="USDT",
        value=Decimal("48123.456"),
        weights={"BTC": Decimal("46.2"), "USDT": Decimal("13.8")},
        targets={"BTC": Decimal(40), "USDT": Decimal(20)},
        lower={"BTC": Decimal(35), "USDT": Decimal(15)},
        upper={"BTC": Decimal(45), "USDT": Decimal(25)},
        inside_bands=False,
        runs=2,
        traded=Decimal("1000"),
        cost=Decimal("1.5"),
    )
    message = await Renderer(no_portfolio).render(Published(6, digest), HINTS)
    assert message.headline == "📊 core: 48,123.46 USDT, outside its bands"
    assert message.table == (
        "BTC    46.2%  target 40%  band 35–45%  outside",
        "USDT   13.8%  target 20%  band 15–25%  outside",
    )


@pytest.mark.parametrize(
    ("event", "name"),
    [
        (RoundPlanned(at=AT, run_id="a", round=1, orders=1, transfers=0), "run.processing"),
        (RoundPlanned(at=AT, run_id="a", round=2, orders=1, transfers=0), "run.updated"),
        (
            RunEnded(
                at=AT,
                status=RunStatus.PARTIALLY_FILLED,
                reason="",
                rounds=1,
                traded=Decimal(1),
                cost=Decimal(0),
            ),
            "run.partially_filled",
        ),
        (
            BreakerTransition(
                at=AT,
                previous=BreakerState.ACTIVE,
                state=BreakerState.HALTED,
                reason="r",
                detail="",
            ),
            "breaker.halted",
        ),
    ],
)
def test_lifecycle_names(event: object, name: str) -> None:
    assert lifecycle_name(event) == name  # type: ignore[arg-type]


def test_chat_commands_are_written_as_each_chat_takes_them() -> None:
    assert telegram_command("approve", "abc") == "/approve abc"
    assert slack_command("approve", "abc") == "/rebalancer approve abc"


def test_run_arguments() -> None:
    assert _run_request("core", []).run_type is RunType.FULL
    withdraw = _run_request("core", ["withdraw", "5,000"])
    assert (withdraw.run_type, withdraw.amount) == (RunType.WITHDRAW, Decimal(5000))
    with pytest.raises(Refused, match="run type: expected one of full, invest_cash"):
        _run_request("core", ["sell-everything"])
    with pytest.raises(Refused, match="amount: expected a number"):
        _run_request("core", ["withdraw", "lots"])


def test_the_digest_time_follows_the_local_clock_across_dst() -> None:
    zurich = ZoneInfo("Europe/Zurich")
    # 08:00 in Zurich is 07:00 UTC in winter, 06:00 UTC in summer
    assert next_daily(AT, time(8, 0), zurich) == datetime(2026, 12, 6, 7, 0, tzinfo=UTC)
    march = datetime(2027, 3, 27, 7, 30, tzinfo=UTC)  # the clocks go forward that night
    assert next_daily(march, time(8, 0), zurich) == datetime(2027, 3, 28, 6, 0, tzinfo=UTC)
    # a time the spring-forward skips (02:30) still comes, once
    assert next_daily(march, time(2, 30), zurich).date().isoformat() == "2027-03-28"
