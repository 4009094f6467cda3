"""The read endpoints: health, metrics, portfolios, runs and the logged events."""

from __future__ import annotations

from decimal import Decimal

from aiohttp import web

from rebalancer.api.actions import set_aside_out
from rebalancer.api.context import ApiContext
from rebalancer.api.endpoints import Call, Reply
from rebalancer.api.errors import ApiError
from rebalancer.api.models import (
    AssetOut,
    BandOut,
    EventList,
    EventLogQuery,
    EventOut,
    HealthOut,
    PortfolioDetail,
    PortfolioList,
    PortfolioOut,
    RunDetail,
    RunList,
    RunOut,
    RunsQuery,
    StreamOut,
    VenueOut,
)
from rebalancer.domain.money import format_decimal
from rebalancer.domain.policy import Policy
from rebalancer.domain.records import EventRecord, RecordNotFound
from rebalancer.services import operations
from rebalancer.services.health import HealthReport
from rebalancer.services.portfolio_view import PortfolioView, view_portfolio
from rebalancer.services.run_documents import history_doc, run_doc
from rebalancer.services.run_history import run_history


class Reads:
    """Handlers that only read the daemon's state."""

    def __init__(self, context: ApiContext) -> None:
        self._context = context

    async def health(self, call: Call) -> Reply:
        """200 when healthy, else 503; the body says why either way."""
        report = self._context.probe.report()
        return Reply(200 if report.healthy else 503, health_out(report))

    async def metrics(self, request: web.Request) -> web.StreamResponse:
        """The Prometheus text exposition."""
        body, content_type = self._context.metrics.render()
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    async def portfolios(self, call: Call) -> PortfolioList:
        """Every portfolio, with its value and whether it is inside its bands."""
        loop = self._context.loop
        views = [await self._view(name) for name in loop.portfolios]
        return PortfolioList(portfolios=[await self._summary(view) for view in views])

    async def portfolio(self, call: Call) -> PortfolioDetail:
        """One portfolio: every asset's weight against its target and band."""
        view = await self._view(call.path["portfolio"])
        policy, drift = view.policy, view.drift
        band = policy.drift_band
        return PortfolioDetail(
            **(await self._summary(view)).model_dump(),
            rebalance_to=policy.rebalance_to.value,
            band=BandOut(type=band.type.value, percent=format_decimal(band.percent))
            if band is not None
            else None,
            assets=[
                AssetOut(
                    asset=item.asset,
                    weight=_pct(item.weight),
                    target=_pct(item.target),
                    lower=_pct(item.lower),
                    upper=_pct(item.upper),
                    drift=_pct(item.drift),
                    breached=item.breached,
                )
                for item in (drift.assets if drift is not None else ())
            ],
            set_asides=[set_aside_out(item) for item in view.set_asides],
        )

    async def _view(self, name: str) -> PortfolioView:
        policy = self._policy(name)
        return await view_portfolio(policy, self._context.market_state, self._context.store)

    def _policy(self, name: str) -> Policy:
        policy = self._context.loop.policy(name)
        if policy is None:
            raise ApiError(404, f"no portfolio {name!r}")
        return policy

    async def _summary(self, view: PortfolioView) -> PortfolioOut:
        policy, drift = view.policy, view.drift
        return PortfolioOut(
            name=policy.name,
            quote=policy.quote,
            venues=list(policy.venues),
            busy=self._context.loop.is_busy(policy.name),
            value=format_decimal(drift.total.normalize()) if drift is not None else None,
            inside_bands=not drift.any_breached if drift is not None else None,
            unavailable=view.unavailable,
            paused=await operations.paused(self._context.store, policy.name) is not None,
        )

    async def runs(self, call: Call) -> RunList:
        """Runs, newest first, optionally of one portfolio."""
        query = call.query
        assert isinstance(query, RunsQuery)
        runs = await self._context.store.list_runs(query.portfolio, query.limit)
        return RunList(version=1, runs=[RunOut.model_validate(run_doc(run)) for run in runs])

    async def run(self, call: Call) -> RunDetail:
        """One run's whole history."""
        run_id = call.path["run_id"]
        try:
            history = await run_history(self._context.store, run_id)
        except RecordNotFound:
            raise ApiError(404, f"no run {run_id!r}") from None
        return RunDetail.model_validate(history_doc(history))

    async def event_log(self, call: Call) -> EventList:
        """Logged events after an id, oldest first."""
        query = call.query
        assert isinstance(query, EventLogQuery)
        records = await self._context.store.events(query.run_id, limit=query.limit)
        return EventList(events=[logged_event(r) for r in records if r.id > query.after])


def logged_event(record: EventRecord) -> EventOut:
    """A log entry in the same shape the live stream sends."""
    return EventOut.model_validate(
        {"id": record.id, "name": record.kind, "at": record.at.isoformat(), "run_id": record.run_id}
        | dict(record.payload)
    )


def _pct(value: Decimal) -> str:
    return format_decimal(value.quantize(Decimal("0.0001")).normalize())


def health_out(report: HealthReport) -> HealthOut:
    """The health report as the API's model."""
    return HealthOut(
        healthy=report.healthy,
        at=report.at,
        last_check_at=report.last_check_at,
        last_reconciled_at=report.last_reconciled_at,
        checking=list(report.checking),
        breaker=report.breaker.value,
        venues=[
            VenueOut(
                venue=v.venue,
                ready=v.ready,
                reconciled=v.reconciled,
                mode=v.mode,
                streams=[
                    StreamOut(
                        name=s.name,
                        connected=s.connected,
                        down=s.down,
                        age_s=s.age_s,
                        messages=s.messages,
                        drops=s.drops,
                        reconnects=s.reconnects,
                        last_error=s.last_error,
                    )
                    for s in v.streams
                ],
                problems=list(v.problems),
            )
            for v in report.venues
        ],
        problems=list(report.problems),
    )
