"""Messages about safety (the breaker, reconciliation, venues), people's actions, the daemon
itself and the daily digest."""

from __future__ import annotations

from rebalancer.alerting.formatting import digest_rows, money, when
from rebalancer.alerting.message import Message
from rebalancer.alerting.scene import Scene
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.events import (
    BreakerResumed,
    BreakerTransition,
    CommandReceived,
    ConfigRefused,
    ConfigReloaded,
    DaemonStarted,
    DaemonStopping,
    Digest,
    PortfolioPaused,
    PortfolioUnpaused,
    ReconciliationMismatch,
    SetAsideExpiring,
    SetAsideRecorded,
    SetAsideReduced,
    SetAsideReleased,
    VenueRecovered,
    VenueStale,
)
from rebalancer.domain.set_asides import ReleaseCause


def breaker_transition(event: BreakerTransition, scene: Scene) -> Message:
    """The breaker changed state; a HALT says how to resume."""
    detail = (event.detail,) if event.detail else ()
    if event.state is BreakerState.HALTED:
        return Message(
            f"🛑 Trading HALTED: {event.reason}",
            details=(
                *detail,
                f"Was {event.previous.value}. Nothing new is traded on any portfolio until a "
                "person resumes; portfolios are still watched.",
            ),
            next_steps=(scene.hints.chat_or_shell(("status",), ("status",)), *scene.hints.resume()),
            critical=True,
        )
    if event.state is BreakerState.REDUCING:
        return Message(
            f"⚠️ Breaker REDUCING: {event.reason}",
            details=(*detail, "Only cancels and sells are sent; no new buys."),
            next_steps=scene.hints.resume(),
        )
    return Message(
        f"✅ Breaker ACTIVE again (was {event.previous.value})",
        details=(*detail, "Trading goes on from the next check."),
    )


def breaker_resumed(event: BreakerResumed, scene: Scene) -> Message:
    """A person re-armed the breaker."""
    del scene
    return Message(
        f"🔓 {event.by} resumed trading (breaker was {event.previous.value}): {event.reason}"
    )


def reconciliation_mismatch(event: ReconciliationMismatch, scene: Scene) -> Message:
    """Balances differ from what the fills and transfers say."""
    venues = ", ".join(event.venues) or "a venue"
    return Message(
        f"🚨 Balances on {venues} do not match what the daemon expects",
        details=(
            event.detail,
            "No new trade starts on these venues until they reconcile.",
            "Look for a deposit, withdrawal or trade made outside the daemon.",
        ),
        next_steps=scene.hints.resume(),
        critical=True,
    )


def venue_stale(event: VenueStale, scene: Scene) -> Message:
    """A venue's live data went bad."""
    return Message(
        f"⚠️ {event.venue} is stale",
        details=(*event.reasons, "Nothing is planned on it until its data is fresh again."),
        next_steps=(scene.hints.chat_or_shell(("status",), ("status",)),),
    )


def venue_recovered(event: VenueRecovered, scene: Scene) -> Message:
    """A stale venue is fresh again."""
    del scene
    return Message(f"✅ {event.venue} is fresh again")


def portfolio_paused(event: PortfolioPaused, scene: Scene) -> Message:
    """A person paused a portfolio."""
    why = f": {event.reason}" if event.reason else ""
    return Message(
        f"⏸ {event.portfolio} paused by {event.by}{why}",
        details=("It is still watched and reported, never traded.",),
        table=scene.table,
        next_steps=(
            scene.hints.chat_or_shell(
                ("unpause", str(event.portfolio)), ("unpause", str(event.portfolio))
            ),
        ),
    )


def portfolio_unpaused(event: PortfolioUnpaused, scene: Scene) -> Message:
    """A person let a portfolio trade again."""
    return Message(
        f"▶️ {event.portfolio} unpaused by {event.by}",
        details=("It trades again from its next check.",),
        table=scene.table,
    )


def set_aside_recorded(event: SetAsideRecorded, scene: Scene) -> Message:
    """A withdraw run's cash is held out of the portfolio until it leaves."""
    asked = ""
    if event.asked is not None and event.asked > event.amount:
        asked = f" (of {money(event.asked, event.asset)} asked)"
    expiry = (
        f" If it is still there at {when(event.expires_at)}, it counts as cash again."
        if event.expires_at is not None
        else ""
    )
    return Message(
        f"💵 {money(event.amount, event.asset)} set aside on {event.venue} for a withdrawal"
        f"{asked} ({event.set_aside_id})",
        details=(
            "No run spends it; weights are of the rest. It is released when it leaves the "
            f"venue, or by hand.{expiry}",
        ),
        next_steps=(
            scene.hints.chat_or_shell(
                ("release", str(event.portfolio), event.set_aside_id),
                ("set-aside", str(event.portfolio), "--release", event.set_aside_id),
            ),
        ),
    )


def set_aside_released(event: SetAsideReleased, scene: Scene) -> Message:
    """Set-aside cash left the venue, or was given back to the portfolio."""
    del scene
    amount = money(event.amount, event.asset)
    why = f": {event.reason}" if event.reason else ""
    if event.cause is ReleaseCause.WITHDRAWN:
        return Message(f"💸 {amount} set aside on {event.venue} was withdrawn{why}")
    if event.cause is ReleaseCause.EXPIRED:
        return Message(
            f"⌛ {amount} set aside on {event.venue} expired unwithdrawn{why}",
            details=("It counts as the portfolio's cash again; the next run may invest it.",),
        )
    return Message(
        f"↩️ {event.by} released {amount} set aside on {event.venue}{why}",
        details=("It counts as the portfolio's cash again; the next run may invest it.",),
    )


def set_aside_reduced(event: SetAsideReduced, scene: Scene) -> Message:
    """Part of a set-aside was withdrawn; the rest is still held out."""
    del scene
    return Message(
        f"💸 {money(event.paid, event.asset)} of the cash set aside on {event.venue} was "
        f"withdrawn; {money(event.left, event.asset)} is still set aside ({event.set_aside_id})"
    )


def set_aside_expiring(event: SetAsideExpiring, scene: Scene) -> Message:
    """Set-aside cash not yet withdrawn expires soon."""
    return Message(
        f"⏳ {money(event.amount, event.asset)} set aside on {event.venue} expires at "
        f"{when(event.expires_at)}",
        details=(
            "It has not left the venue. Once expired it counts as cash again and the next "
            "run may invest it: withdraw it before then, or release it now.",
        ),
        next_steps=(
            scene.hints.chat_or_shell(
                ("release", str(event.portfolio), event.set_aside_id),
                ("set-aside", str(event.portfolio), "--release", event.set_aside_id),
            ),
        ),
    )


def command_received(event: CommandReceived, scene: Scene) -> Message:
    """A command arrived from a person."""
    del scene
    outcome = "done" if event.accepted else "refused"
    detail = f": {event.detail}" if event.detail else ""
    return Message(f"{event.by} via {event.channel}: {event.command} ({outcome}){detail}")


def config_reloaded(event: ConfigReloaded, scene: Scene) -> Message:
    """A new config is in force."""
    del scene
    return Message(
        f"Config reloaded from {event.source}",
        details=(f"Portfolios: {', '.join(event.portfolios)}.",),
    )


def config_refused(event: ConfigRefused, scene: Scene) -> Message:
    """A new config was refused; the old one stays."""
    return Message(
        f"⚠️ New config refused; the running one stays in force: {event.reason}",
        next_steps=(scene.hints.shell("check-config"),),
    )


def daemon_started(event: DaemonStarted, scene: Scene) -> Message:
    """The daemon is up."""
    del scene
    details = [f"Checking {', '.join(event.portfolios)}."]
    if event.unreconciled:
        details.append(
            f"Not reconciled yet: {', '.join(event.unreconciled)} "
            "(no trading there until they are)."
        )
    return Message(f"rebalancer {event.version} started", details=tuple(details))


def daemon_stopping(event: DaemonStopping, scene: Scene) -> Message:
    """The daemon stops; parked work waits for the next start."""
    if not event.parked:
        return Message(f"rebalancer stopping ({event.reason})")
    return Message(
        f"🚨 rebalancer stopping with runs {', '.join(event.parked)} parked",
        details=(
            "They are settled (orders looked up, transfers followed) when the daemon starts "
            "again; nothing trades until then.",
        ),
        next_steps=(scene.hints.shell("run"),),
        critical=True,
    )


def digest(event: Digest, scene: Scene) -> Message:
    """The daily summary of one portfolio."""
    del scene
    where = "inside its bands" if event.inside_bands else "outside its bands"
    since = f"since {when(event.since)}" if event.since is not None else "in the last 24 h"
    runs = f"{event.runs} run(s) {since}" + (f", {event.failed} failed" if event.failed else "")
    return Message(
        f"📊 {event.portfolio}: {money(event.value, event.quote)}, {where}",
        details=(
            f"{runs}; traded {money(event.traded, event.quote)}, fees "
            f"{money(event.cost, event.quote)}.",
        ),
        table=digest_rows(event.weights, event.targets, event.lower, event.upper),
    )
