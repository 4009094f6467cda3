"""The HTTP API's request and response bodies, as pydantic models.

The handlers validate what comes in and build what goes out with these models, and the
OpenAPI document is generated from them, so the contract and the code cannot drift apart.
Amounts are exact decimal strings, as everywhere else in rebalancer; times are ISO 8601 UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

DecimalText = Annotated[
    str, Field(description="an exact decimal number as a string", examples=["1234.5"])
]
PositiveDecimal = Annotated[
    str,
    Field(
        pattern=r"^([1-9][0-9]{0,17}(\.[0-9]{1,18})?|0\.[0-9]{0,17}[1-9][0-9]{0,17})$",
        max_length=40,
        description="a positive decimal number as a string",
        examples=["2500"],
    ),
]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
BreakerStateText = Literal["ACTIVE", "REDUCING", "HALTED"]
RunTypeText = Literal["full", "invest_cash", "withdraw", "liquidate"]


class Strict(BaseModel):
    """Inputs: unknown fields are errors, like unknown config keys."""

    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    """Outputs: every field documented."""

    model_config = ConfigDict(extra="forbid")


# -- errors -----------------------------------------------------------------------------------


class Problem(Output):
    """One thing wrong with a request: where (``query.limit``, ``body.amount``) and what."""

    field: str
    message: str


class ErrorOut(Output):
    """Every error reply: the HTTP status, a sentence, and each problem with its field."""

    status: int
    error: str
    problems: list[Problem] = Field(default_factory=list)


# -- health -----------------------------------------------------------------------------------


class StreamOut(Output):
    """One websocket stream of a venue."""

    name: str
    connected: bool
    down: bool = Field(description="dropped and not back (its venue is unhealthy)")
    age_s: float | None = Field(description="seconds since its last message; null: never spoke")
    messages: int
    drops: int
    reconnects: int
    last_error: str | None


class VenueOut(Output):
    """One venue: reconciled, ready, where its data comes from, and what is wrong."""

    venue: str
    ready: bool
    reconciled: bool
    mode: Literal["streaming", "polling"]
    streams: list[StreamOut]
    problems: list[str]


class HealthOut(Output):
    """The daemon's health (HTTP 200 when ``healthy``, else 503)."""

    healthy: bool
    at: datetime
    last_check_at: datetime | None
    last_reconciled_at: datetime | None
    checking: list[str] = Field(description="portfolios with a check or run going now")
    breaker: BreakerStateText
    venues: list[VenueOut]
    problems: list[str]


# -- portfolios -------------------------------------------------------------------------------


class AssetOut(Output):
    """One asset's weight against its target and band, in percent of the portfolio's value."""

    asset: str
    weight: DecimalText
    target: DecimalText
    lower: DecimalText
    upper: DecimalText
    drift: DecimalText = Field(description="weight minus target, percentage points")
    breached: bool


class PortfolioOut(Output):
    """A portfolio now: its value and whether it is inside its bands (null: not known now)."""

    name: str
    quote: str
    venues: list[str]
    busy: bool = Field(description="a check or run of it is going now")
    value: DecimalText | None
    inside_bands: bool | None
    unavailable: str | None = Field(description="why there are no weights now (null: there are)")
    paused: bool = Field(description="paused: watched and reported, never traded")


class PortfolioList(Output):
    """Every portfolio the daemon runs, in config order."""

    portfolios: list[PortfolioOut]


class BandOut(Output):
    """A portfolio's drift band."""

    type: Literal["absolute", "relative"]
    percent: DecimalText


class SetAsideOut(Output):
    """Cash a withdraw run raised, held out of the portfolio until it leaves the venue."""

    id: str
    venue: str
    asset: str
    amount: DecimalText
    run_id: str | None = Field(description="the withdraw run that raised it")
    created_at: datetime
    expires_at: datetime | None = Field(description="when it counts as cash again (null: never)")
    active: bool = Field(description="still held out of the portfolio")
    released_at: datetime | None = None
    released_by: str | None = None
    release_cause: Literal["withdrawn", "released", "expired"] | None = None
    release_reason: str | None = None


class PortfolioDetail(PortfolioOut):
    """One portfolio with every asset's weight against target and band (of what remains once
    the cash set aside for withdrawals is kept out), and those set-asides."""

    rebalance_to: str
    band: BandOut | None
    assets: list[AssetOut]
    set_asides: list[SetAsideOut] = Field(
        default_factory=list, description="cash held out for withdrawals, oldest first"
    )


# -- runs -------------------------------------------------------------------------------------


class RunOut(Output):
    """One run (as ``rebalancer runs --json`` prints it)."""

    id: str
    portfolio: str
    run_type: str
    trigger: str
    status: str
    reason: str | None
    rounds: int
    amount: DecimalText | None
    venue: str | None = Field(description="withdraw: where the cash is raised (null: any venue)")
    partial: bool = Field(description="withdraw: raise the most possible when short")
    created_at: str
    updated_at: str


class RunList(Output):
    """Runs, newest first."""

    version: int
    runs: list[RunOut]


class RunsQuery(Strict):
    """``GET /runs`` filters."""

    portfolio: Name | None = None
    limit: int = Field(default=20, ge=1, le=500)


class RoundOut(Output):
    """One round: when it was planned and its plan document."""

    round: int
    created_at: str
    plan: dict[str, Any]


class OrderOut(Output):
    """One order of a run."""

    client_order_id: str
    round: int
    node_id: str
    attempt: int
    venue: str
    symbol: str
    side: str
    amount: DecimalText | None
    state: str
    filled: DecimalText | None
    average_price: DecimalText | None
    fee: DecimalText | None
    fee_asset: str | None
    exchange_order_id: str | None
    reason: str | None


class TransferOut(Output):
    """One transfer of a run."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str
    node_id: str
    asset: str
    network: str
    source: str = Field(alias="from")
    destination: str = Field(alias="to")
    amount: DecimalText | None
    fee: DecimalText | None
    state: str
    withdrawal_id: str | None
    arrived_at: str | None
    reason: str | None


class LoggedEventOut(Output):
    """One entry of a run's event log."""

    at: str
    kind: str
    payload: dict[str, Any]


class RunDetail(Output):
    """One run's whole history: the same document as ``rebalancer runs show ID --json``."""

    version: int
    run: RunOut
    trigger_reason: str | None
    rounds: list[RoundOut]
    orders: list[OrderOut]
    transfers: list[TransferOut]
    traded_notional: DecimalText | None
    fees: dict[str, DecimalText | None]
    quote: str | None = Field(description="the run's quote asset (null: no orders or plan)")
    fees_in_quote: DecimalText | None = Field(description="every fee valued in the quote asset")
    fees_not_converted: list[str] = Field(description="fee assets with no price to value them")
    events: list[LoggedEventOut]


# -- events -----------------------------------------------------------------------------------


class EventsQuery(Strict):
    """``GET /events``: replay logged events after ``after`` (as ``Last-Event-ID`` does)."""

    after: int | None = Field(default=None, ge=0, le=2**53)


class EventLogQuery(Strict):
    """``GET /events/log`` filters."""

    after: int = Field(default=0, ge=0, le=2**53, description="only events with a larger id")
    run_id: Name | None = None
    limit: int = Field(default=100, ge=1, le=1000)


class EventOut(Output):
    """One event: its log id, name, time, portfolio, run and fields (as the stream sends it)."""

    model_config = ConfigDict(extra="allow")

    id: int
    name: str
    at: str
    run_id: str | None
    portfolio: str | None = None


class EventList(Output):
    """Logged events, oldest first."""

    events: list[EventOut]


# -- actions ----------------------------------------------------------------------------------

Who = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=64,
        description="who acts (recorded in the event log; default: api)",
    ),
]
Reason = Annotated[str, Field(max_length=500, description="why (recorded)")]
Because = Annotated[
    str, Field(max_length=500, pattern=r"\S", description="why (required: not blank; recorded)")
]


class _RunRequest(Strict):
    portfolio: Name
    by: Who = None


class FullRunIn(_RunRequest):
    """Back to the targets (or the band edges, as the portfolio says)."""

    run_type: Literal["full"]


class LiquidateRunIn(_RunRequest):
    """Everything to the quote asset."""

    run_type: Literal["liquidate"]


class InvestCashRunIn(_RunRequest):
    """Spend cash on the most underweight assets, never selling."""

    run_type: Literal["invest_cash"]
    amount: PositiveDecimal | None = Field(
        default=None, description="quote asset to spend (default: the cash above its target)"
    )


class WithdrawRunIn(_RunRequest):
    """Raise an amount of the quote asset, selling the most overweight first."""

    run_type: Literal["withdraw"]
    amount: PositiveDecimal = Field(description="quote asset to raise")
    venue: Name | None = Field(default=None, description="raise it at this venue only")
    partial: bool = Field(default=False, description="raise what can be raised if not all")


class RunRequestIn(
    RootModel[
        Annotated[
            FullRunIn | InvestCashRunIn | WithdrawRunIn | LiquidateRunIn,
            Field(discriminator="run_type"),
        ]
    ]
):
    """``POST /runs``: one run of a portfolio, by type (the daemon takes it within a second)."""


class RunAccepted(Output):
    """The stored request: its run (``NEW`` until the daemon takes it) and any notes."""

    run: RunOut
    notes: list[str]


class DecisionIn(Strict):
    """Approve, reject or cancel a run."""

    by: Who = None
    reason: Reason = ""


class PauseIn(Strict):
    """Pause a portfolio: say why."""

    by: Who = None
    reason: Because


class UnpauseIn(Strict):
    """Let a paused portfolio trade again."""

    by: Who = None
    reason: Reason = ""


class ReleaseIn(Strict):
    """Give set-aside cash back to the portfolio."""

    by: Who = None
    reason: Reason = ""


class PauseOut(Output):
    """A portfolio's pause as stored."""

    portfolio: str
    paused: bool
    by: str
    reason: str
    at: datetime


class ResumeIn(Strict):
    """Re-arm the circuit breaker: say why trading may go on."""

    by: Who = None
    reason: Because


class BreakerOut(Output):
    """The breaker before and after (``changed`` false: it was already ACTIVE)."""

    before: BreakerStateText
    after: BreakerStateText
    changed: bool
