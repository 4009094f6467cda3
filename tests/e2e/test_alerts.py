"""Alerts and chat commands end to end: the simulator and the daemon as subprocesses, the
Telegram, Slack and webhook fakes in this process on loopback.

- From the chats alone: a run waits for approval, a button approves it, it fills; a chat
  that is not allow-listed changes nothing; a price jump halts trading and the HALT reaches
  Telegram and Slack; ``/rebalancer resume`` from Slack re-arms it. Telegram answers its first
  messages with 429 ``Retry-After: 2``: they arrive later, all of them, in order, once. Every
  webhook delivery verifies.
- A Telegram and a Slack that never answer delay no order: the run fills and the webhook
  hears of it while the hanging sinks still hold their first request.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.faults import Fault

from .alerts_harness import (
    CHANNEL,
    CHAT,
    STRANGER,
    Sinks,
    add_alerts,
    slack_headlines,
    telegram_headlines,
)
from .conftest import DaemonFactory, SimFactory
from .faults_harness import post
from .harness import wait_for, write_daemon_config

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

GUARDS = 'approve_max_notional = "100000"\nallow_resume = true'


@pytest.fixture
def sinks() -> Iterator[Sinks]:
    started = Sinks.start()
    yield started
    started.stop()


def _with(headlines: list[str], text: str) -> list[str]:
    return [h for h in headlines if text in h]


def test_from_the_chats_alone_approve_a_run_watch_it_fill_see_a_halt_and_resume(
    tmp_path: Path, sim_factory: SimFactory, daemon_factory: DaemonFactory, sinks: Sinks
) -> None:
    sim = sim_factory()
    config = add_alerts(
        write_daemon_config(
            tmp_path / "daemon.toml",
            state_dir=tmp_path / "state",
            connection=sim.connection_file,
            approval_above="1000",
        ),
        sinks,
        GUARDS,
    )
    sinks.telegram.arm("sendMessage", Fault(count=2, status=429, retry_after_s=2))
    daemon = daemon_factory(config, env=sinks.env()).start()

    # the run waits for approval: both chats say so, with buttons
    waiting = wait_for(
        "the approval request on Telegram",
        lambda: [m for m in sinks.telegram.sent(CHAT) if m.get("reply_markup")],
        timeout_s=90,
    )[0]
    approve = waiting["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    run_id = approve.split(":", 1)[1]
    wait_for(
        "the approval request on Slack",
        lambda: _with(slack_headlines(sinks), "waits for approval"),
        30,
    )
    # flood control: the first two sends were refused, then everything came, once, in order
    early = telegram_headlines(sinks)
    assert early == slack_headlines(sinks)[: len(early)]
    assert len(set(early)) == len(early)
    answers = [call.answered for call in sinks.telegram.of("sendMessage")]
    assert answers[:3] == [429, 429, 200]
    first, second = sinks.telegram.of("sendMessage")[:2]
    assert second.at - first.at >= 1.9

    # a stranger's command changes nothing
    wait_for("Telegram polling", sinks.telegram.polling, timeout_s=30)
    sinks.telegram.send_text(STRANGER, "/pause core")
    sinks.telegram.send_text(STRANGER, f"/reject {run_id}")

    # the button approves it; it fills
    sinks.telegram.press(CHAT, approve)
    filled = f"core: run {run_id} FILLED"
    wait_for("FILLED on Telegram", lambda: _with(telegram_headlines(sinks), filled), timeout_s=120)
    wait_for("FILLED on Slack", lambda: _with(slack_headlines(sinks), filled), timeout_s=30)
    assert _with(telegram_headlines(sinks), f"Run {run_id} approved")
    assert sinks.telegram.sent(STRANGER) == []
    sinks.telegram.send_text(CHAT, "/status core")
    status = wait_for(
        "the status reply", lambda: _with(telegram_headlines(sinks), "Breaker ACTIVE"), 30
    )
    assert status
    assert "paused" not in sinks.telegram.sent(CHAT)[-1]["text"]
    assert daemon.log().count("not in [alerts.telegram] chat_ids") == 1  # logged once

    # a price jump halts trading: both chats hear it
    post(sim.control, "/prices", {"symbol": "BTC/USDT", "price": "78000"})
    wait_for("HALT on Telegram", lambda: _with(telegram_headlines(sinks), "Trading HALTED"), 60)
    wait_for("HALT on Slack", lambda: _with(slack_headlines(sinks), "Trading HALTED"), 30)
    halt = next(m for m in sinks.slack.messages(CHANNEL) if "Trading HALTED" in m["text"])
    assert halt["text"].startswith("<!channel> ")

    # resumed from Slack
    wait_for("Socket Mode", sinks.slack.connected, timeout_s=30)
    envelope = sinks.slack.slash("resume BTC really is at 78,000", CHANNEL)
    wait_for("the resume", lambda: _with(telegram_headlines(sinks), "resumed trading"), 60)
    assert sinks.slack.acked(envelope)
    assert _with(slack_headlines(sinks), "Breaker HALTED → ACTIVE")

    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout_s=60) == 0
    wait_for("the stop", lambda: _with(slack_headlines(sinks), "rebalancer stopping"), 10)
    assert all(delivery.verified for delivery in sinks.receiver.deliveries)
    types = [body["type"] for body in sinks.receiver.taken()]
    for expected in (
        "daemon.started",
        "run.awaiting_approval",
        "run.approved",
        "run.processing",
        "run.filled",
        "breaker.halted",
        "breaker.resumed",
        "daemon.stopping",
    ):
        assert expected in types, " ".join(types)
    assert types.index("run.approved") < types.index("run.filled") < types.index("breaker.halted")
    commands = [b for b in sinks.receiver.taken() if b["type"] == "command.received"]
    by = {(c["data"]["by"], c["data"]["accepted"]) for c in commands}
    assert ("telegram:@alice", True) in by
    assert ("slack:@alice", True) in by
    assert ("telegram:@alice", False) in by  # the stranger, once
    assert len([c for c in commands if not c["data"]["accepted"]]) == 1


def test_sinks_that_never_answer_delay_no_order(
    tmp_path: Path, sim_factory: SimFactory, daemon_factory: DaemonFactory, sinks: Sinks
) -> None:
    sim = sim_factory()
    config = add_alerts(
        write_daemon_config(
            tmp_path / "daemon.toml", state_dir=tmp_path / "state", connection=sim.connection_file
        ),
        sinks,
    )
    sinks.telegram.arm("sendMessage", Fault(count=100_000, hang=True))
    sinks.slack.arm("chat.postMessage", Fault(count=100_000, hang=True))
    daemon = daemon_factory(config, env=sinks.env()).start()

    filled = wait_for(
        "the run to fill",
        lambda: [b for b in sinks.receiver.taken() if b["type"] == "run.filled"],
        timeout_s=120,
    )
    assert filled
    assert sim.control.orders()
    for calls in (sinks.telegram.of("sendMessage"), sinks.slack.posts):
        sent = [
            call
            for call in calls
            if getattr(call, "method", "sendMessage") != "apps.connections.open"
        ]
        assert sent
        assert all(call.answered == 0 for call in sent)  # still waiting for an answer
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout_s=60) == 0  # a hanging sink does not hold up the stop either
