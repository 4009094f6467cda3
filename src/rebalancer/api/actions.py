"""The act endpoints: one-off runs, approve, reject, cancel, pause, unpause, breaker resume,
release of set-aside cash.

Each calls ``rebalancer.services.operations`` (the rules the CLI and the chats follow too) with
the daemon's event hub as the desk's sink, so every subscriber sees the action. A refusal
becomes a 4xx whose body is the operation's own sentence: 404 no such portfolio or run, 409
anything the portfolio's config, holdings or the run's state refuse (naming the field when the
sentence does: ``body.amount`` for a withdrawal larger than the holdings). A body that does not
match its schema never gets this far: 422 from the endpoint's validation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal

from rebalancer.api.context import ApiContext
from rebalancer.api.endpoints import Call, Reply
from rebalancer.api.errors import ApiError
from rebalancer.api.models import (
    BreakerOut,
    DecisionIn,
    PauseIn,
    PauseOut,
    Problem,
    ReleaseIn,
    ResumeIn,
    RunAccepted,
    RunOut,
    RunRequestIn,
    SetAsideOut,
    UnpauseIn,
)
from rebalancer.domain.errors import VenueError
from rebalancer.domain.money import format_decimal
from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import Policy
from rebalancer.domain.records import RunRecord
from rebalancer.domain.requests import PauseRecord, RunRequest
from rebalancer.domain.set_asides import SetAside
from rebalancer.domain.snapshot import Snapshot
from rebalancer.services import operations
from rebalancer.services.run_documents import run_doc
from rebalancer.services.set_asides import kept_out

API_OPERATOR = "api"


class Actions:
    """Handlers that change what the daemon does."""

    def __init__(self, context: ApiContext) -> None:
        self._context = context
        self._desk = operations.Desk(context.store, context.clock, context.events)

    def _policies(self) -> dict[str, Policy]:
        loop = self._context.loop
        return {name: policy for name in loop.portfolios if (policy := loop.policy(name))}

    async def request_run(self, call: Call) -> Reply:
        """Store a one-off run; the daemon takes it within a second (202)."""
        assert isinstance(call.body, RunRequestIn)
        body = call.body.root
        amount = getattr(body, "amount", None)
        request = RunRequest(
            portfolio=body.portfolio,
            run_type=RunType(body.run_type),
            amount=Decimal(amount) if amount is not None else None,
            venue=getattr(body, "venue", None),
            partial=getattr(body, "partial", False),
        )
        policies = self._policies()
        with refusals():
            operations.check_request(policies, request)
            accepted = await operations.request_run(
                self._desk,
                policies,
                request,
                by=body.by or API_OPERATOR,
                snapshot=await self._snapshot(policies[request.portfolio]),
            )
        return Reply(202, RunAccepted(run=_run_out(accepted.run), notes=list(accepted.notes)))

    async def _snapshot(self, policy: Policy) -> Snapshot | None:
        """The portfolio's live holdings to check an amount against, the cash set aside for
        withdrawals kept out (None: not ready now)."""
        try:
            snapshot = self._context.market_state.snapshot(policy.venues)
        except VenueError:
            return None
        return await kept_out(self._context.store, policy, snapshot)

    async def approve(self, call: Call) -> RunOut:
        """Approve a run waiting for approval."""
        body = _decision(call)
        with refusals():
            run = await operations.approve_run(
                self._desk, call.path["run_id"], by=body.by or API_OPERATOR
            )
        return _run_out(run)

    async def reject(self, call: Call) -> RunOut:
        """Reject a run waiting for approval (it ends CANCELLED)."""
        body = _decision(call)
        with refusals():
            run = await operations.reject_run(
                self._desk, call.path["run_id"], by=body.by or API_OPERATOR, reason=body.reason
            )
        return _run_out(run)

    async def cancel(self, call: Call) -> RunOut:
        """Cancel a run that has not started trading."""
        body = _decision(call)
        with refusals():
            run = await operations.cancel_run(
                self._desk, call.path["run_id"], by=body.by or API_OPERATOR, reason=body.reason
            )
        return _run_out(run)

    async def pause(self, call: Call) -> PauseOut:
        """Pause a portfolio (watched and reported, never traded)."""
        body = call.body
        assert isinstance(body, PauseIn)
        with refusals():
            record = await operations.pause(
                self._desk,
                self._policies(),
                call.path["portfolio"],
                by=body.by or API_OPERATOR,
                reason=body.reason,
            )
        return _pause_out(record)

    async def unpause(self, call: Call) -> PauseOut:
        """Let a paused portfolio trade again."""
        body = call.body
        assert isinstance(body, UnpauseIn)
        with refusals():
            record = await operations.unpause(
                self._desk,
                self._policies(),
                call.path["portfolio"],
                by=body.by or API_OPERATOR,
                reason=body.reason,
            )
        return _pause_out(record)

    async def release_set_aside(self, call: Call) -> SetAsideOut:
        """Give set-aside cash back to the portfolio (its next run may invest it)."""
        body = call.body
        assert isinstance(body, ReleaseIn)
        with refusals():
            item = await operations.release_set_aside(
                self._desk,
                self._policies(),
                call.path["portfolio"],
                call.path["set_aside_id"],
                by=body.by or API_OPERATOR,
                reason=body.reason,
            )
        return set_aside_out(item)

    async def resume_breaker(self, call: Call) -> BreakerOut:
        """Re-arm the circuit breaker (the daemon adopts it at its next check)."""
        body = call.body
        assert isinstance(body, ResumeIn)
        with refusals():
            result = await operations.resume_breaker(
                self._desk, by=body.by or API_OPERATOR, reason=body.reason
            )
        return BreakerOut(
            before=result.before.value,
            after=result.after.value,
            changed=result.changed,
        )


@contextlib.contextmanager
def refusals() -> Iterator[None]:
    """Turn an ``OperationRefused`` into the API error that says the same."""
    try:
        yield
    except operations.OperationRefused as error:
        raise refusal(error) from None


def refusal(error: operations.OperationRefused) -> ApiError:
    """The HTTP status and body for a refused operation."""
    message = str(error)
    if isinstance(
        error,
        operations.UnknownPortfolio | operations.RunNotFound | operations.SetAsideNotFound,
    ):
        return ApiError(404, message)
    field, sep, _ = message.partition(":")
    named = bool(sep) and field.strip().isidentifier() and field.strip() != "portfolio"
    problems = [Problem(field=f"body.{field.strip()}", message=message)] if named else []
    return ApiError(409, message, problems)


def _decision(call: Call) -> DecisionIn:
    body = call.body
    assert isinstance(body, DecisionIn)
    return body


def _run_out(run: RunRecord) -> RunOut:
    return RunOut.model_validate(run_doc(run))


def _pause_out(record: PauseRecord) -> PauseOut:
    return PauseOut(
        portfolio=record.portfolio,
        paused=record.paused,
        by=record.by,
        reason=record.reason,
        at=record.at,
    )


def set_aside_out(item: SetAside) -> SetAsideOut:
    """A set-aside as the API shows it."""
    return SetAsideOut(
        id=item.id,
        venue=item.venue,
        asset=item.asset,
        amount=format_decimal(item.amount),
        run_id=item.run_id,
        created_at=item.created_at,
        expires_at=item.expires_at,
        active=item.active,
        released_at=item.released_at,
        released_by=item.released_by,
        release_cause=item.release_cause.value if item.release_cause else None,
        release_reason=item.release_reason,
    )
