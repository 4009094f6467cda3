"""The API's endpoint table and the aiohttp application built from it."""

from __future__ import annotations

import json
from collections.abc import Sequence

from aiohttp import web
from pydantic import BaseModel

from rebalancer.api.actions import Actions
from rebalancer.api.auth import token_middleware
from rebalancer.api.context import ApiContext
from rebalancer.api.endpoints import Endpoint
from rebalancer.api.errors import error_middleware
from rebalancer.api.models import (
    BreakerOut,
    DecisionIn,
    ErrorOut,
    EventList,
    EventLogQuery,
    EventsQuery,
    HealthOut,
    PauseIn,
    PauseOut,
    PortfolioDetail,
    PortfolioList,
    ReleaseIn,
    ResumeIn,
    RunAccepted,
    RunDetail,
    RunList,
    RunOut,
    RunRequestIn,
    RunsQuery,
    SetAsideOut,
    UnpauseIn,
)
from rebalancer.api.openapi import openapi_document
from rebalancer.api.reads import Reads
from rebalancer.api.stream import EventStream

PORTFOLIO = {"portfolio": "the portfolio's name in the config"}
RUN = {"run_id": "the run's id"}
SET_ASIDE = PORTFOLIO | {"set_aside_id": "the set-aside's id (`rebalancer set-aside P`)"}


def read_endpoints(context: ApiContext) -> list[Endpoint]:
    """Health, metrics, portfolios, runs and events."""
    reads, stream = Reads(context), EventStream(context)
    return [
        Endpoint(
            "GET",
            "/health",
            "health",
            "Is the daemon healthy? (200 yes, 503 no; the body says why)",
            "health",
            {200: HealthOut, 503: HealthOut},
            handler=reads.health,
            public=True,
        ),
        Endpoint(
            "GET",
            "/metrics",
            "metrics",
            "Prometheus metrics (text exposition format)",
            "health",
            {200: None},
            raw=reads.metrics,
            media_type="text/plain",
        ),
        Endpoint(
            "GET",
            "/portfolios",
            "listPortfolios",
            "Every portfolio: value and whether it is inside its bands",
            "portfolios",
            {200: PortfolioList},
            handler=reads.portfolios,
        ),
        Endpoint(
            "GET",
            "/portfolios/{portfolio}",
            "getPortfolio",
            "One portfolio: each asset's weight against its target and band",
            "portfolios",
            {200: PortfolioDetail, 404: ErrorOut},
            handler=reads.portfolio,
            path_params=PORTFOLIO,
        ),
        Endpoint(
            "GET",
            "/runs",
            "listRuns",
            "Runs, newest first",
            "runs",
            {200: RunList},
            handler=reads.runs,
            query=RunsQuery,
        ),
        Endpoint(
            "GET",
            "/runs/{run_id}",
            "getRun",
            "One run's whole history (as `rebalancer runs show ID --json`)",
            "runs",
            {200: RunDetail, 404: ErrorOut},
            handler=reads.run,
            path_params=RUN,
        ),
        Endpoint(
            "GET",
            "/events/log",
            "listEvents",
            "Logged events after an id, oldest first",
            "events",
            {200: EventList},
            handler=reads.event_log,
            query=EventLogQuery,
        ),
        Endpoint(
            "GET",
            "/events",
            "streamEvents",
            "The live event stream (server-sent events; resumes after Last-Event-ID)",
            "events",
            {200: None},
            raw=stream.handle,
            query=EventsQuery,
            media_type="text/event-stream",
        ),
    ]


def action_endpoints(context: ApiContext) -> list[Endpoint]:
    """One-off runs, decisions on runs, pause and unpause, set-aside release, breaker resume."""
    actions = Actions(context)
    decision: dict[int, type[BaseModel] | None] = {200: RunOut, 404: ErrorOut, 409: ErrorOut}
    return [
        Endpoint(
            "POST",
            "/runs",
            "requestRun",
            "Ask for one run of a portfolio (full, invest_cash, withdraw AMOUNT, liquidate)",
            "actions",
            {202: RunAccepted, 404: ErrorOut, 409: ErrorOut},
            handler=actions.request_run,
            body=RunRequestIn,
        ),
        Endpoint(
            "POST",
            "/runs/{run_id}/approve",
            "approveRun",
            "Approve a run waiting for approval",
            "actions",
            decision,
            handler=actions.approve,
            body=DecisionIn,
            path_params=RUN,
        ),
        Endpoint(
            "POST",
            "/runs/{run_id}/reject",
            "rejectRun",
            "Reject a run waiting for approval",
            "actions",
            decision,
            handler=actions.reject,
            body=DecisionIn,
            path_params=RUN,
        ),
        Endpoint(
            "POST",
            "/runs/{run_id}/cancel",
            "cancelRun",
            "Cancel a run that has not started trading",
            "actions",
            decision,
            handler=actions.cancel,
            body=DecisionIn,
            path_params=RUN,
        ),
        Endpoint(
            "POST",
            "/portfolios/{portfolio}/pause",
            "pausePortfolio",
            "Pause a portfolio: still watched and reported, never traded",
            "actions",
            {200: PauseOut, 404: ErrorOut},
            handler=actions.pause,
            body=PauseIn,
            path_params=PORTFOLIO,
        ),
        Endpoint(
            "POST",
            "/portfolios/{portfolio}/unpause",
            "unpausePortfolio",
            "Let a paused portfolio trade again",
            "actions",
            {200: PauseOut, 404: ErrorOut},
            handler=actions.unpause,
            body=UnpauseIn,
            path_params=PORTFOLIO,
        ),
        Endpoint(
            "POST",
            "/portfolios/{portfolio}/set-asides/{set_aside_id}/release",
            "releaseSetAside",
            "Give cash set aside for a withdrawal back to the portfolio",
            "actions",
            {200: SetAsideOut, 404: ErrorOut, 409: ErrorOut},
            handler=actions.release_set_aside,
            body=ReleaseIn,
            path_params=SET_ASIDE,
        ),
        Endpoint(
            "POST",
            "/breaker/resume",
            "resumeBreaker",
            "Re-arm the circuit breaker after a halt (say why)",
            "actions",
            {200: BreakerOut},
            handler=actions.resume_breaker,
            body=ResumeIn,
        ),
    ]


def build_app(context: ApiContext, token: str, extra: Sequence[Endpoint] = ()) -> web.Application:
    """The application: every endpoint, the OpenAPI document, the token and error handling."""
    endpoints = [*read_endpoints(context), *action_endpoints(context), *extra]
    document = openapi_document(endpoints)
    public = frozenset(e.path for e in endpoints if e.public)

    async def openapi(request: web.Request) -> web.Response:
        return web.Response(text=json.dumps(document), content_type="application/json")

    app = web.Application(
        middlewares=[token_middleware(token, public), error_middleware],
        client_max_size=64 * 1024,
    )
    app.add_routes([endpoint.route() for endpoint in endpoints])
    app.add_routes([web.get("/openapi.json", openapi)])
    return app
