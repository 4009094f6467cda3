"""Turn the config into the services' plain settings and wire one ``DaemonLoop``.

Services never read the config (layer rule); this module copies each table into the frozen
values they take: ``ExecutionSettings`` per portfolio, ``MarketDataSettings``, the breaker's
limits. It also gives each portfolio its snapshot source: a REST refresh of its venues (balances
are the exchange's truth before every plan), the transfers still in flight as the venues say
(``services.transit``), and the configured routes between its venues, with the cash set aside
for withdrawals kept out (``services.set_asides``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.codecs.plan_json import dump_plan
from rebalancer.codecs.snapshot_json import dump_snapshot, parse_snapshot
from rebalancer.core.breaker import BreakerLimits
from rebalancer.core.planner import plan_rebalance
from rebalancer.core.pretrade import PretradeLimits
from rebalancer.domain.plan import Plan, RunType
from rebalancer.domain.policy import Policy
from rebalancer.domain.snapshot import InTransit, Route, Snapshot
from rebalancer.ports import Clock, Store, VenueGateway
from rebalancer.runtime.hints import operator_command
from rebalancer.services.breaker_keeper import BreakerKeeper
from rebalancer.services.daemon_loop import Assembly, DaemonLoop, PortfolioWork
from rebalancer.services.event_hub import EventHub
from rebalancer.services.execution_settings import (
    ExecutionSettings,
    OrderSettings,
    TransferSettings,
)
from rebalancer.services.executor import Executor
from rebalancer.services.market_state import MarketDataSettings, MarketState
from rebalancer.services.narration import narrating
from rebalancer.services.operations import Desk
from rebalancer.services.price_gate import PriceGate
from rebalancer.services.rebalance_cycle import CycleDeps, RebalanceCycle
from rebalancer.services.recovery import Recovery
from rebalancer.services.set_asides import SetAsideKeeper
from rebalancer.services.standing_orders import StandingOrderWatch
from rebalancer.services.transit import Transit, consistent_snapshot
from rebalancer.settings import AppConfig, PortfolioConfig

HUNDRED = Decimal(100)
TRANSFER_POLL_MIN_S = 0.25
TRANSFER_POLL_MAX_S = 15.0


def breaker_limits(config: AppConfig) -> BreakerLimits:
    """The ``[risk]`` table as the breaker's limits."""
    return BreakerLimits(
        max_consecutive_failures=config.risk.failures_to_trip,
        max_slippage_bps=config.risk.max_slippage_percent * HUNDRED,
    )


def pretrade_limits(config: AppConfig, policy: Policy) -> PretradeLimits:
    """Every limit the pre-trade gate enforces on one portfolio's orders, each from its one key.

    The per-order cap is the portfolio's ``limits.max_order_notional``, taken from its policy:
    the very value the planner slices to, so the planner and the gate cannot disagree. The
    notional and price limits are the daemon-wide ``[risk]`` table.
    """
    risk = config.risk
    return PretradeLimits(
        max_order_notional=policy.constraints.max_order_notional,
        max_run_notional=risk.max_notional_per_run,
        max_day_notional=risk.max_notional_per_day,
        max_price_move=risk.max_price_jump_percent / HUNDRED,
        max_venue_disagreement=risk.max_cross_venue_deviation_percent / HUNDRED,
    )


def execution_settings(config: AppConfig, name: str) -> ExecutionSettings:
    """Portfolio ``name``'s ``execution`` and ``approval`` tables, with its pre-trade limits."""
    portfolio = config.portfolio(name)
    execution = portfolio.execution
    return ExecutionSettings(
        orders=OrderSettings(
            style=execution.order_type.value,  # type: ignore[arg-type]  # accepted and converted
            limit_timeout_s=execution.limit_timeout_s,
            limit_fallback=execution.on_limit_timeout.value,  # type: ignore[arg-type]
            max_reprices=execution.max_reprices,
        ),
        transfers=TransferSettings(
            arrival_timeout_s=execution.transfer_timeout_s,
            poll_interval_s=transfer_poll_s(config, portfolio),
            deposit_addresses={
                (venue, asset, network): address
                for venue in portfolio.venues
                for asset, networks in config.venues[venue].deposit_addresses.items()
                for network, address in networks.items()
            },
        ),
        limits=pretrade_limits(config, config.policy(name)),
        max_rounds=execution.max_rounds,
        max_snapshot_age_s=config.market_data.max_age_s,
        approval_above_notional=portfolio.approval.required_above_notional,
    )


def transfer_poll_s(config: AppConfig, portfolio: PortfolioConfig) -> float:
    """How often to look for a transfer's arrival: a quarter of the quickest route's ETA.

    Often enough to notice a fast route soon, rarely enough not to hammer a real exchange's
    withdrawal history on a slow one (kept within 0.25..15 s).
    """
    venues = set(portfolio.venues)
    etas = [
        route.eta_s
        for route in config.routes_for_snapshot()
        if {route.source, route.destination} <= venues
    ]
    if not etas:
        return TRANSFER_POLL_MAX_S
    return max(TRANSFER_POLL_MIN_S, min(TRANSFER_POLL_MAX_S, min(etas) / 4))


def market_data_settings(config: AppConfig) -> MarketDataSettings:
    """The ``[market_data]`` table."""
    table = config.market_data
    return MarketDataSettings(
        max_age_s=table.max_age_s,
        stream_silent_after_s=table.stream_silent_after_s,
        rest_poll_interval_s=table.rest_poll_interval_s,
        reconnect_initial_backoff_s=table.reconnect_initial_backoff_s,
        reconnect_max_backoff_s=table.reconnect_max_backoff_s,
    )


def watched_symbols(config: AppConfig) -> dict[str, list[str]]:
    """Per venue, ``ASSET/QUOTE`` for every asset any portfolio on it holds."""
    symbols: dict[str, set[str]] = {}
    for portfolio in config.portfolios.values():
        pairs = {f"{a}/{portfolio.quote}" for a in portfolio.weights if a != portfolio.quote}
        for venue in portfolio.venues:
            symbols.setdefault(venue, set()).update(pairs)
    return {venue: sorted(pairs) for venue, pairs in symbols.items()}


def snapshot_source(
    market_state: MarketState, transit: Transit, policy: Policy, routes: tuple[Route, ...]
) -> Callable[[], Awaitable[Snapshot]]:
    """A fresh snapshot of ``policy``'s venues: transfers followed, balances refreshed (REST),
    frozen together so that no transfer counts twice or nowhere (``services.transit``)."""
    venues = frozenset(policy.venues)
    own_routes = tuple(r for r in routes if {r.source, r.destination} <= venues)

    async def read(in_transit: tuple[InTransit, ...]) -> Snapshot:
        try:
            async with asyncio.TaskGroup() as group:  # venues answer in parallel
                for venue in policy.venues:
                    group.create_task(market_state.refresh(venue), name=f"refresh:{venue}")
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None  # a VenueError, as a single refresh raises
        return market_state.snapshot(policy.venues, own_routes, in_transit)

    async def take_snapshot() -> Snapshot:
        return await consistent_snapshot(lambda: transit.follow(venues), read)

    return take_snapshot


def daemon_planner(
    snapshot: Snapshot,
    policy: Policy,
    run_type: RunType,
    amount: Decimal | None,
    /,
    *,
    venue: str | None = None,
    partial: bool = False,
) -> Plan:
    """How the daemon plans a round (``rebalancer replay`` plans stored rounds the same way)."""
    return plan_rebalance(snapshot, policy, run_type, amount, venue=venue, partial=partial)


@dataclass(frozen=True, slots=True)
class Wiring:
    """The adapters the loop is built on (all already started by the caller)."""

    config: AppConfig
    store: Store
    clock: Clock
    gateways: Mapping[str, VenueGateway]
    market_state: MarketState
    events: EventHub  # every service publishes here; subscribers attach to it


def assemble(wiring: Wiring, config: AppConfig, stop: asyncio.Event) -> Assembly:
    """One breaker, one recovery and, per portfolio, an executor and a run cycle."""
    store, clock, hub = wiring.store, wiring.clock, wiring.events
    breaker = BreakerKeeper(store, clock, breaker_limits(config), events=hub)
    routes = config.routes_for_snapshot()
    portfolios: dict[str, PortfolioWork] = {}
    for name in config.portfolios:
        policy = config.policy(name)
        events = hub.scoped(name)
        settings = execution_settings(config, name)
        executor = Executor(store, clock, breaker, settings, stop, events=events)
        gateways = {venue: wiring.gateways[venue] for venue in policy.venues}
        transit = Transit(store, clock, breaker, settings, gateways, events=events)
        set_asides = SetAsideKeeper(
            policy,
            store,
            clock,
            events,
            snapshot_source(wiring.market_state, transit, policy, routes),
            days=config.portfolios[name].set_aside_days or None,
        )
        deps = CycleDeps(
            take_snapshot=set_asides.take_snapshot,
            planner=narrating(daemon_planner),
            snapshot_json=dump_snapshot,
            plan_json=dump_plan,
            prices=PriceGate(store, breaker, settings.limits, portfolio=name, parse=parse_snapshot),
            after_run=set_asides.after_run,
        )
        cycle = RebalanceCycle(store, clock, executor, gateways, deps, events=events)
        orders = config.portfolios[name].standing_orders()
        standing = (
            StandingOrderWatch(policy, orders, Desk(store, clock, events), gateways)
            if orders.any
            else None
        )
        portfolios[name] = PortfolioWork(policy, cycle, deps, standing)
    recovery = Recovery(
        store, clock, breaker, recovery_settings(config), dict(wiring.gateways), events=hub
    )
    return Assembly(portfolios, breaker, recovery)


def recovery_settings(config: AppConfig) -> dict[str, ExecutionSettings]:
    """Per venue, the execution settings of the portfolio that owns it (one owner per venue).

    A venue no portfolio lists is recovered with the defaults (nothing of ours trades there).
    """
    owned = {
        venue: execution_settings(config, name)
        for name, portfolio in config.portfolios.items()
        for venue in portfolio.venues
    }
    return {venue: owned.get(venue, ExecutionSettings()) for venue in config.venues}


def build_loop(wiring: Wiring, stop: asyncio.Event) -> DaemonLoop:
    """The daemon loop over ``wiring``'s adapters, configured by ``wiring.config``."""
    return DaemonLoop(
        assemble(wiring, wiring.config, stop),
        wiring.store,
        wiring.clock,
        stop=stop,
        events=wiring.events,
        command=operator_command(wiring.config),
    )
