"""The daemon's work between start-up and shutdown: check portfolios, start and finish runs.

Start-up and crash recovery are one path (``recover``): every venue is reconciled and every run
in flight settled before anything trades; a venue that could not be reconciled is not traded
until a later ``reconcile_again`` succeeds.

A check of one portfolio (``check``), in order:

1. nothing starts once ``stop`` is set, while recovery runs, or while the portfolio already has
   a check or run going (one run per portfolio at a time);
2. the breaker is re-read from the Store, so ``rebalancer resume`` takes effect;
3. a run request (``rebalancer request``, stored as a NEW run) is taken, validated against a
   fresh snapshot and carried out; a run waiting for approval is carried out once a
   ``RunApproved`` event is in its log (``rebalancer approve`` writes it), from a fresh snapshot;
   otherwise it keeps waiting and no other run starts (one run per portfolio, oldest first);
4. a paused portfolio (``rebalancer pause``) is still snapshotted and its drift reported, but
   nothing of it trades: no trigger, no request, no approved run;
5. a portfolio on an unreconciled venue, or with the breaker not ACTIVE, is not traded;
6. otherwise a snapshot is taken (it follows every pending transfer first, see
   ``services.transit``) and its prices checked against the last good ones, kept across
   restarts (``services.price_gate``: a jump trips the breaker and nothing trades); while
   money is in transit between the portfolio's venues no run starts and no request is taken:
   the plan that sent it already counted on it, and planning around it would move the same
   money twice (a second transfer, then trades to undo the first when it lands);
7. the portfolio's standing orders are looked at: a recurring run whose date has come, or a
   deposit from outside to invest (``StandingOrderWatch``), is requested and taken at once
   (it waits like any request while the portfolio is paused or money is in transit);
8. otherwise the triggers decide (drift, calendar, cooldown, or a manual request); a run
   starts when they say so.

Every snapshot a check takes is kept in the Store as the portfolio's latest, so commands beside
the daemon (``rebalancer request``) can value the portfolio as the daemon sees it. Cash set
aside for a withdrawal is already out of it (``services.set_asides``, in the snapshot source):
drift, triggers, requests and plans see only the remaining portfolio.

``drain`` is the first phase of shutdown: set ``stop`` (running nodes reach a safe point), wait
up to the grace period, then cancel what is left.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from rebalancer.core.drift import drift_of_snapshot
from rebalancer.core.triggers import decide
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.errors import VenueError
from rebalancer.domain.events import RunApproved, RunEnded
from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import Policy
from rebalancer.domain.records import RunRecord
from rebalancer.domain.requests import PauseRecord
from rebalancer.domain.runs import RunStatus
from rebalancer.domain.snapshot import Snapshot
from rebalancer.ports import Clock, EventSink, Store
from rebalancer.services import operations
from rebalancer.services.breaker_keeper import BreakerKeeper
from rebalancer.services.check_values import (
    Assembly,
    CheckAction,
    CheckResult,
    PortfolioWork,
    ended_text,
    paused_text,
)
from rebalancer.services.event_hub import EventHub
from rebalancer.services.narration import (
    describe_drift,
    describe_in_transit,
    describe_order,
    describe_transfer,
)
from rebalancer.services.rebalance_cycle import (
    approvals_since_parked,
)
from rebalancer.services.recovery import Recovery, RecoveryReport
from rebalancer.services.request_taking import RequestTaking
from rebalancer.services.run_context import tag_run, untag_run
from rebalancer.services.run_history import transfers_by_round
from rebalancer.services.run_outcome import fees_in_quote, traded_notional

log = logging.getLogger(__name__)

# (policy, snapshot, the run that just ended or None for a check's own snapshot)
SnapshotObserver = Callable[[Policy, Snapshot, RunRecord | None], None]

APPROVED = RunApproved.__name__

__all__ = ["APPROVED", "Assembly", "CheckAction", "CheckResult", "DaemonLoop", "PortfolioWork"]


def bare_command(*words: str) -> str:
    """A ``rebalancer`` command line as a person would type it (no config named)."""
    return " ".join(("rebalancer", *words))


class DaemonLoop(RequestTaking):
    """Checks portfolios and carries out their runs; shared by the scheduler and ``--once``.

    ``command`` renders the ``rebalancer`` command a person should type (approve, resume) so
    that it works as printed: the composition root adds ``--config`` and whatever else it takes.
    """

    def __init__(
        self,
        assembly: Assembly,
        store: Store,
        clock: Clock,
        *,
        stop: asyncio.Event,
        events: EventSink | None = None,
        command: Callable[..., str] = bare_command,
    ) -> None:
        self._assembly = assembly
        self._command = command
        self._store = store
        self._clock = clock
        self._events = events or EventHub(store)
        self.stop = stop
        self.last_check_at: datetime | None = None  # when a check last completed (health)
        self.last_reconciled_at: datetime | None = None  # when recovery last reconciled all
        self._busy: set[str] = set()
        self._recovering = False
        self._unreconciled: frozenset[str] = frozenset()
        self._tasks: set[asyncio.Task[object]] = set()
        self._snapshot_observers: list[SnapshotObserver] = []

    @property
    def clock(self) -> Clock:
        """The clock every check and run reads (the scheduler's "now" too)."""
        return self._clock

    def add_snapshot_observer(self, observer: SnapshotObserver) -> None:
        """Call ``observer(policy, snapshot, run)`` with the snapshot of every check that takes
        one (``run`` None), and with the one taken after a run ends (``run``: how it ended).

        The breach watch re-initialises its drift monitor from it (see ``breach_watch``).
        """
        self._snapshot_observers.append(observer)

    def is_busy(self, name: str) -> bool:
        """True while a check or run of portfolio ``name`` is going."""
        return name in self._busy

    def replace(self, assembly: Assembly) -> None:
        """Use ``assembly`` from the next check on (running checks finish with the old one)."""
        self._assembly = assembly

    @property
    def _portfolios(self) -> Mapping[str, PortfolioWork]:
        return self._assembly.portfolios

    @property
    def _breaker(self) -> BreakerKeeper:
        return self._assembly.breaker

    @property
    def _recovery(self) -> Recovery:
        return self._assembly.recovery

    @property
    def portfolios(self) -> tuple[str, ...]:
        """Every portfolio's name, in config order."""
        return tuple(self._portfolios)

    def policy(self, name: str) -> Policy | None:
        """The policy the loop checks portfolio ``name`` with (None: no such portfolio)."""
        work = self._portfolios.get(name)
        return work.policy if work is not None else None

    @property
    def breaker_state(self) -> BreakerState:
        """The circuit breaker's state as the loop last knew it."""
        return self._breaker.state

    @property
    def unreconciled(self) -> frozenset[str]:
        """Venues the last recovery could not reconcile (not traded)."""
        return self._unreconciled

    # -- recovery -------------------------------------------------------------------------

    async def recover(self) -> RecoveryReport:
        """Reconcile every venue and settle every run in flight; remember what failed."""
        self._recovering = True
        try:
            report = await self._recovery.run()
        finally:
            self._recovering = False
        self._unreconciled = frozenset(report.unreconciled)
        if not report.unreconciled:
            self.last_reconciled_at = self._clock.now()
        settled = ", ".join(f"{run} {status}" for run, status in report.settled_runs.items())
        log.info(
            "recovery: %d orders settled, %d cancelled, %d never arrived, %d stray; runs: %s",
            len(report.settled_orders),
            len(report.cancelled_orders),
            len(report.never_arrived),
            len(report.stray_orders),
            settled or "none in flight",
        )
        for venue, why in sorted(report.unreconciled.items()):
            log.error("venue %s is not reconciled and will not be traded: %s", venue, why)
        await self._after_settled(report)
        return report

    async def _after_settled(self, report: RecoveryReport) -> None:
        """Hand each run recovery settled to its portfolio's ``after_run``, as a run that ended
        here is (a withdraw interrupted by a crash sets its cash aside all the same)."""
        for run_id in sorted(report.settled_runs):
            run = await self._store.get_run(run_id)
            work = self._portfolios.get(run.portfolio)
            if work is None or work.deps.after_run is None or run.run_type is not RunType.WITHDRAW:
                continue
            try:
                snapshot = await work.deps.take_snapshot()
            except VenueError as error:
                log.warning(
                    "%s: run %s settled, no snapshot after it: %s", run.portfolio, run_id, error
                )
                continue
            await work.deps.after_run(run, work.policy, snapshot)

    async def reconcile_again(self) -> RecoveryReport | None:
        """Retry recovery while some venue is unreconciled and no portfolio is busy."""
        if not self._unreconciled or self._busy or self.stop.is_set():
            return None
        return await self.recover()

    # -- checks ---------------------------------------------------------------------------

    async def check_all(self, *, manual: bool = False) -> list[CheckResult]:
        """Check every portfolio one after another (what ``run --once`` does)."""
        return [await self.check(name, manual=manual) for name in self._portfolios]

    async def check(self, name: str, *, manual: bool = False, prompt: bool = False) -> CheckResult:
        """Check one portfolio and carry out what the check decides (see the module doc).

        ``prompt`` marks a check the request watch started for a waiting request or approval;
        when it is skipped (paused, breaker, busy) it logs at DEBUG, as the watch retries it.
        """
        work = self._portfolios.get(name)
        if work is None:
            return CheckResult(name, CheckAction.SKIPPED, "no such portfolio (any more)")
        if self.stop.is_set():
            return CheckResult(name, CheckAction.SKIPPED, "shutting down")
        if self._recovering:
            return CheckResult(name, CheckAction.SKIPPED, "recovery is running")
        if name in self._busy:
            return CheckResult(name, CheckAction.SKIPPED, "a check or run is already going")
        self._busy.add(name)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            result = await self._check(work, manual=manual)
        except Exception as error:
            log.exception("%s: the check failed", name)
            result = CheckResult(name, CheckAction.FAILED, f"{type(error).__name__}: {error}")
        finally:
            untag_run()  # the outcome below, and the next portfolio's check, are no run's
            self._busy.discard(name)
            if task is not None:
                self._tasks.discard(task)
        if result.action is not CheckAction.FAILED:
            self.last_check_at = self._clock.now()
        level = logging.WARNING if result.attention else logging.INFO
        if prompt and result.action is CheckAction.SKIPPED:
            level = logging.DEBUG
        log.log(level, "%s: %s (%s)", name, result.action.value, result.reason)
        return result

    async def _check(self, work: PortfolioWork, *, manual: bool) -> CheckResult:
        name = work.policy.name
        await self._sync_breaker()
        for run in await self._store.runs_in_flight():
            if run.portfolio == name:
                return await self._in_flight(work, run)
        pause = await operations.paused(self._store, name)
        if pause is None and (held := self._held_back(work)):
            return CheckResult(name, CheckAction.SKIPPED, held, attention=True)
        try:
            snapshot = await self._watch(work)
        except VenueError as error:
            return CheckResult(name, CheckAction.SKIPPED, f"no snapshot: {error}", attention=True)
        if pause is None and (held := self._held_back(work)):  # the price check may have tripped
            return CheckResult(name, CheckAction.SKIPPED, held, attention=True)
        if work.standing is not None and (asked := await work.standing.next_request(snapshot)):
            return await self._in_flight(work, asked)  # a deposit to invest, a scheduled run
        return await self._decide(work, snapshot, pause, manual=manual)

    async def _decide(
        self, work: PortfolioWork, snapshot: Snapshot, pause: PauseRecord | None, *, manual: bool
    ) -> CheckResult:
        """Let the triggers decide on ``snapshot`` and start a full run when they say so."""
        name = work.policy.name
        drift = drift_of_snapshot(snapshot, work.policy)
        decision = decide(
            drift,
            work.policy,
            last_rebalance_at=await self._store.last_rebalance_at(name),
            now=self._clock.now(),
            manual=manual,
        )
        if pause is not None:
            why = f"{paused_text(pause)}; {decision.reason}; {describe_drift(drift)}"
            return CheckResult(name, CheckAction.SKIPPED, why)
        if snapshot.in_transit:
            why = f"waiting for {describe_in_transit(snapshot.in_transit)}; {describe_drift(drift)}"
            return CheckResult(name, CheckAction.SKIPPED, why)
        if not decision.should_run or decision.trigger is None:
            why = f"{decision.reason}; {describe_drift(drift)}"
            return CheckResult(name, CheckAction.IDLE, why)
        if self.stop.is_set():
            return CheckResult(name, CheckAction.SKIPPED, f"shutting down ({decision.reason})")
        log.info("%s: rebalancing (%s): %s", name, decision.trigger.value, decision.reason)
        run = await self._guarded(
            name,
            work.cycle.start(
                work.policy,
                RunType.FULL,
                decision.trigger,
                unreconciled=self._unreconciled,
                why=decision.reason,
                snapshot=snapshot,
            ),
        )
        await self._tell(run)
        await self._observe_after_run(work, run)
        return self._ran(name, run)

    def _ran(self, name: str, run: RunRecord) -> CheckResult:
        """A run started: how it ended, or that it waits for a person (a warning, with a hint)."""
        if run.status is RunStatus.AWAITING_APPROVAL:
            return CheckResult(name, CheckAction.RAN, self._awaits(run), run, attention=True)
        return CheckResult(name, CheckAction.RAN, ended_text(run), run)

    async def _watch(self, work: PortfolioWork) -> Snapshot:
        """Take a snapshot, check its prices (``price_gate``: a jump trips the breaker), show it
        to the observers and keep it as the portfolio's latest."""
        snapshot = await work.deps.take_snapshot()
        if work.deps.prices is not None:
            await work.deps.prices.check(snapshot)
        for observer in self._snapshot_observers:
            observer(work.policy, snapshot, None)
        if work.deps.keep_latest:
            await self._store.save_latest_snapshot(
                work.policy.name, work.deps.snapshot_json(snapshot), at=snapshot.taken_at
            )
        return snapshot

    def _awaits(self, run: RunRecord) -> str:
        """A run waits for a person: say why and the command that approves it."""
        reason = f" ({run.reason})" if run.reason else ""
        return f"run {run.id} awaits approval{reason}: `{self._command('approve', run.id)}`"

    async def _observe_after_run(self, work: PortfolioWork, run: RunRecord) -> None:
        """Show the observers the balances a run left (else they would watch pre-run ones)."""
        if not self._snapshot_observers:
            return
        try:
            snapshot = await work.deps.take_snapshot()
        except VenueError as error:
            log.warning("%s: no snapshot after the run (%s)", work.policy.name, error)
            return
        for observer in self._snapshot_observers:
            observer(work.policy, snapshot, run)

    def _held_back(self, work: PortfolioWork) -> str | None:
        """Why no new run may start on this portfolio now (None: it may)."""
        blocked = sorted(set(work.policy.venues) & self._unreconciled)
        if blocked:
            return f"{', '.join(blocked)} not reconciled"
        if self._breaker.state is not BreakerState.ACTIVE:
            resume = self._command("resume", "--reason", "WHY")
            return f"circuit breaker is {self._breaker.state.value}: `{resume}` re-arms it"
        return None

    async def _tell(self, run: RunRecord) -> None:
        """Log what a finished run's orders and transfers did (nothing to read when INFO is off,
        as in a backtest)."""
        if not log.isEnabledFor(logging.INFO):
            return
        for order in await self._store.orders_for_run(run.id):
            tag_run(run.id, order.round)
            log.info("%s", describe_order(order))
        for round_no, transfer in await transfers_by_round(self._store, run):
            tag_run(run.id, round_no)
            log.info("%s", describe_transfer(transfer))

    async def _sync_breaker(self) -> None:
        """Adopt the persisted breaker state when it changed outside (``rebalancer resume``).

        Only on a change: reloading always would reset the failure streak every check.
        """
        record = await self._store.get_breaker()
        if record is not None and record.state is not self._breaker.state:
            await self._breaker.load()
            log.warning("circuit breaker is now %s (changed outside the daemon)", record.state)

    async def _in_flight(self, work: PortfolioWork, run: RunRecord) -> CheckResult:
        """A run of this portfolio is not finished: take it if it is a request, go ahead with
        it if approved, else wait."""
        name = work.policy.name
        if run.status is RunStatus.NEW and (request := await self._store.get_request(run.id)):
            return await self._requested(work, run, request)
        if run.status is not RunStatus.AWAITING_APPROVAL:
            why = f"run {run.id} is still {run.status.value}; recovery settles it first"
            return CheckResult(name, CheckAction.SKIPPED, why)
        approvals = await approvals_since_parked(self._store, run.id, APPROVED)
        if not approvals:
            return CheckResult(name, CheckAction.SKIPPED, self._awaits(run), attention=True)
        if pause := await operations.paused(self._store, name):
            why = f"run {run.id} is approved but {paused_text(pause)}"
            return CheckResult(name, CheckAction.SKIPPED, why)
        if self._breaker.state is not BreakerState.ACTIVE:
            why = f"run {run.id} is approved but the circuit breaker is {self._breaker.state.value}"
            return CheckResult(name, CheckAction.SKIPPED, why)
        by = approvals[-1].payload.get("by", "someone")
        tag_run(run.id, run.rounds + 1)
        log.info("%s: approved by %s; carrying it out", name, by)
        ended = await self._guarded(name, self._approved(work, run))
        await self._tell(ended)
        return self._ran(name, ended)

    async def _approved(self, work: PortfolioWork, run: RunRecord) -> RunRecord:
        """Plan an approved run again from fresh prices and balances, then execute it."""
        return await work.cycle.carry_out_approved(run, work.policy, self._unreconciled)

    async def _guarded(self, name: str, work: Awaitable[RunRecord]) -> RunRecord:
        """Await a run; if it raises, end whatever run it left open as FAILED, then re-raise."""
        try:
            return await work
        except Exception as error:
            for run in await self._store.runs_in_flight():
                if run.portfolio == name and run.status is not RunStatus.AWAITING_APPROVAL:
                    reason = f"failed: {type(error).__name__}: {error}"
                    ended = await self._store.set_run_status(run.id, RunStatus.FAILED, reason)
                    log.error("%s: the run failed: %s", name, reason)
                    orders = await self._store.orders_for_run(run.id)
                    await self._events.publish(
                        RunEnded(
                            at=ended.updated_at,
                            portfolio=name,
                            run_id=run.id,
                            status=RunStatus.FAILED,
                            reason=reason,
                            rounds=ended.rounds,
                            traded=traded_notional(orders),
                            cost=fees_in_quote(orders),
                        )
                    )
            raise

    # -- shutdown -------------------------------------------------------------------------

    async def drain(self, grace_s: float) -> bool:
        """Stop starting work, let running checks reach a safe point, cancel after ``grace_s``.

        Returns True when everything finished within the grace period.
        """
        self.stop.set()
        pending = {task for task in self._tasks if task is not asyncio.current_task()}
        if not pending:
            return True
        log.info("waiting up to %.0f s for %d running check(s)", grace_s, len(pending))
        _, late = await asyncio.wait(pending, timeout=grace_s)
        for task in late:
            log.warning("cancelling %s after the %.0f s grace period", task.get_name(), grace_s)
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=5.0)
        return not late
