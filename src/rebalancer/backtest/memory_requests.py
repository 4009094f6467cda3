"""The run-request part of the in-memory ``Store``: requests, pauses, kept snapshots, marks.

Mixed into ``MemoryStore`` with the same rules as the state database: a request is a NEW run
plus who asked; taking and cancelling exclude each other; a key or a deposit is used once;
a pause, the latest snapshot and the watermarks are kept per portfolio. A backtest makes no
requests itself, but its replay runs the daemon's own check, which reads these.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.plan import RunType
from rebalancer.domain.records import DuplicateRecord, RecordNotFound, RunRecord, TransferRecord
from rebalancer.domain.requests import Inflow, PauseRecord, RequestRecord, RunRequest
from rebalancer.domain.runs import RunStatus, Trigger


class RequestJournal:
    """Mixin: what ``MemoryStore`` keeps for run requests and per portfolio."""

    _runs: dict[str, RunRecord]
    _transfers: dict[str, TransferRecord]

    def _init_requests(self) -> None:
        self._requests: dict[str, RequestRecord] = {}
        self._request_keys: dict[str, str] = {}
        self._inflows: dict[tuple[str, str], str] = {}
        self._pauses: dict[str, PauseRecord] = {}
        self._snapshots: dict[str, tuple[str, datetime]] = {}
        self._deposits_since: dict[str, datetime] = {}
        self._schedule_seen: dict[tuple[str, str], datetime] = {}

    def _at(self, at: datetime | None) -> datetime:  # provided by MemoryStore
        raise NotImplementedError

    async def create_run(  # provided by MemoryStore
        self,
        portfolio: str,
        run_type: RunType,
        trigger: Trigger,
        *,
        amount: Decimal | None = None,
        status: RunStatus = RunStatus.NEW,
        run_id: str | None = None,
        at: datetime | None = None,
        venue: str | None = None,
        partial: bool = False,
    ) -> RunRecord:
        raise NotImplementedError

    async def set_run_status(  # provided by MemoryStore
        self,
        run_id: str,
        status: RunStatus,
        reason: str | None = None,
        *,
        at: datetime | None = None,
    ) -> RunRecord:
        raise NotImplementedError

    async def create_requested_run(
        self,
        request: RunRequest,
        trigger: Trigger,
        requested_by: str,
        *,
        key: str | None = None,
        inflows: Sequence[Inflow] = (),
        at: datetime | None = None,
    ) -> RunRecord:
        """A NEW run of what was asked, who asked, and the deposits it invests; all or nothing."""
        if key is not None and key in self._request_keys:
            raise DuplicateRecord(f"a run request with key {key!r} already exists")
        for inflow in inflows:
            if (inflow.venue, inflow.deposit_id) in self._inflows:
                raise DuplicateRecord(
                    f"deposit {inflow.deposit_id} on {inflow.venue} is already being invested"
                )
        run = await self.create_run(
            request.portfolio,
            request.run_type,
            trigger,
            amount=request.amount,
            venue=request.venue,
            partial=request.partial,
            at=self._at(at),
        )
        self._requests[run.id] = RequestRecord(run.id, request, requested_by, run.created_at, key)
        if key is not None:
            self._request_keys[key] = run.id
        for inflow in inflows:
            self._inflows[(inflow.venue, inflow.deposit_id)] = run.id
        return run

    async def get_request(self, run_id: str) -> RequestRecord | None:
        """The request run ``run_id`` came from."""
        return self._requests.get(run_id)

    async def request_by_key(self, key: str) -> RequestRecord | None:
        """The request made under ``key``."""
        run_id = self._request_keys.get(key)
        return None if run_id is None else self._requests[run_id]

    async def pending_requests(self) -> Sequence[RequestRecord]:
        """Requests whose run is NEW and not cancelled, oldest first."""
        pending = [
            request
            for request in self._requests.values()
            if request.cancelled_at is None and self._runs[request.run_id].status is RunStatus.NEW
        ]
        return sorted(pending, key=lambda r: (r.created_at, r.run_id))

    async def take_request(self, run_id: str, at: datetime | None = None) -> bool:
        """Mark the request taken; False when taken or cancelled first."""
        request = self._requests.get(run_id)
        if request is None or request.taken_at is not None or request.cancelled_at is not None:
            return False
        self._requests[run_id] = dataclasses.replace(request, taken_at=self._at(at))
        return True

    async def cancel_request(
        self, run_id: str, reason: str, at: datetime | None = None
    ) -> RunRecord | None:
        """Cancel a request not yet taken; None when too late."""
        request = self._requests.get(run_id)
        if request is None:
            raise RecordNotFound(f"run request {run_id!r} does not exist")
        if request.taken_at is not None or request.cancelled_at is not None:
            return None
        if self._runs[run_id].status is not RunStatus.NEW:
            return None
        when = self._at(at)
        self._requests[run_id] = dataclasses.replace(request, cancelled_at=when)
        return await self.set_run_status(run_id, RunStatus.CANCELLED, reason, at=when)

    async def release_untaken_requests(self) -> int:
        """Requests taken but never started wait again."""
        released = 0
        for run_id, request in list(self._requests.items()):
            if request.taken_at is not None and self._runs[run_id].status is RunStatus.NEW:
                self._requests[run_id] = dataclasses.replace(request, taken_at=None)
                released += 1
        return released

    async def invested_deposits(self, venue: str) -> frozenset[str]:
        """Ids of the deposits on ``venue`` a run was started to invest."""
        return frozenset(deposit for place, deposit in self._inflows if place == venue)

    async def transfer_deposit_ids(self, venue: str) -> frozenset[str]:
        """Ids of the deposits on ``venue`` that were our own transfers arriving."""
        return frozenset(
            t.deposit_id
            for t in self._transfers.values()
            if t.destination == venue and t.deposit_id is not None
        )

    async def get_pause(self, portfolio: str) -> PauseRecord | None:
        """The portfolio's pause."""
        return self._pauses.get(portfolio)

    async def pauses(self) -> Sequence[PauseRecord]:
        """Every portfolio ever paused or unpaused, by name."""
        return [self._pauses[name] for name in sorted(self._pauses)]

    async def set_pause(
        self, portfolio: str, paused: bool, by: str, reason: str, at: datetime | None = None
    ) -> PauseRecord:
        """Pause or unpause a portfolio."""
        if not portfolio:
            raise InvalidValue("portfolio: must not be empty")
        record = PauseRecord(portfolio, paused, by, reason, self._at(at))
        self._pauses[portfolio] = record
        return record

    async def save_latest_snapshot(
        self, portfolio: str, snapshot_json: str, at: datetime | None = None
    ) -> None:
        """Keep the latest snapshot text of the portfolio."""
        self._snapshots[portfolio] = (snapshot_json, self._at(at))

    async def latest_snapshot(self, portfolio: str) -> tuple[str, datetime] | None:
        """The latest kept snapshot and when it was taken."""
        return self._snapshots.get(portfolio)

    async def deposits_watched_since(self, portfolio: str, at: datetime | None = None) -> datetime:
        """Since when deposits count as contributions (set on the first call)."""
        return self._deposits_since.setdefault(portfolio, self._at(at))

    async def schedule_first_seen(
        self, portfolio: str, entry_key: str, at: datetime | None = None
    ) -> datetime:
        """When a recurring run was first seen (set on the first call)."""
        return self._schedule_seen.setdefault((portfolio, entry_key), self._at(at))
