"""Compose a backtest from the config: the policy as the daemon reads it, plus ``[backtest]``.

The execution settings, breaker limits and routes are the daemon's own (``runtime.assembly``),
with one change: the pre-trade price-jump check is off, because historical bars are the truth
(a 30 % day would otherwise halt the replay; it guards live feeds against bad ticks).

Market rules come from ``[backtest.rules]``, then the ``exchange_info`` files the user points at
(real Binance lot steps and minimums), then the simulator's built-in rules; a market none of
them knows is a config error naming the symbol. Cash flows on a calendar are expanded to dates
inside the replayed range.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from rebalancer.backtest.comparisons import alternatives
from rebalancer.backtest.prices import PriceTable
from rebalancer.backtest.spec import (
    BacktestSetup,
    CashFlow,
    OnBreaker,
    OnDelisting,
    Scenario,
    SpreadModel,
)
from rebalancer.core import calendar
from rebalancer.domain.errors import ConfigError, Problem
from rebalancer.domain.market import Market
from rebalancer.domain.policy import CalendarRule, Policy
from rebalancer.exchange_sim.default_rules import BUILT_IN_RULES
from rebalancer.exchange_sim.engine.rules import market_from_symbol_entry
from rebalancer.runtime.assembly import breaker_limits, execution_settings
from rebalancer.settings import AppConfig
from rebalancer.settings.backtest import DEFAULT_FEE, SpreadKind

POLICY = "policy"


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything a backtest run needs, read from the config."""

    setup: BacktestSetup
    scenarios: tuple[tuple[str, Scenario], ...]  # the policy first, then the comparisons
    descriptions: dict[str, str]
    notes: tuple[str, ...]


def prepare(
    config: AppConfig, portfolio: str, table: PriceTable, *, compare: bool = True
) -> Prepared:
    """The setup, the policy's scenario and (unless ``compare`` is off) the comparisons."""
    policy = config.policy(portfolio)
    setup = backtest_setup(config, portfolio, table)
    execution = execution_settings(config, portfolio)
    execution = replace(execution, limits=replace(execution.limits, max_price_move=None))
    limits = breaker_limits(config)
    scenarios = [(POLICY, Scenario(f"policy {portfolio}", policy, execution, limits))]
    descriptions = {POLICY: "the portfolio's own config, replayed by the daemon's code"}
    notes: tuple[str, ...] = ()
    if compare:
        found, skipped = alternatives(policy)
        for other in found:
            scenarios.append(
                (other.key, Scenario(other.label, other.policy, execution, limits, other.sell_all))
            )
            descriptions[other.key] = other.description
        notes = tuple(skipped)
    return Prepared(setup, tuple(scenarios), descriptions, notes)


def backtest_setup(config: AppConfig, portfolio: str, table: PriceTable) -> BacktestSetup:
    """``[backtest]`` and the routes between the portfolio's venues, as plain values."""
    policy = config.policy(portfolio)
    table_config = config.backtest
    venues = policy.venues
    unknown = [
        Problem(f"backtest.{key}.{venue}", f"{venue} is not one of {portfolio}'s venues")
        for key, mapping in (("fees", table_config.fees), ("start_split", table_config.start_split))
        for venue in mapping
        if venue not in venues
    ]
    if unknown:
        raise ConfigError(unknown)
    spread = table_config.spread
    model = (
        SpreadModel(fixed_bps=spread.bps)
        if spread.model is SpreadKind.FIXED
        else SpreadModel(fixed_bps=None, range_fraction=spread.fraction, min_bps=spread.min_bps)
    )
    own = set(venues)
    return BacktestSetup(
        start_value=table_config.start_value,
        fees={venue: table_config.fees.get(venue, DEFAULT_FEE) for venue in venues},
        markets=market_rules(config, policy),
        spread=model,
        start_split=dict(table_config.start_split),
        routes=tuple(r for r in config.routes_for_snapshot() if {r.source, r.destination} <= own),
        on_delisting=OnDelisting(table_config.on_delisting.value),
        on_breaker=OnBreaker(table_config.on_breaker.value),
        cash_flows=tuple(cash_flows(config, policy, table)),
    )


def market_rules(config: AppConfig, policy: Policy) -> dict[str, Market]:
    """Each of the portfolio's markets' rules (see the module doc for where they come from)."""
    symbols = [f"{asset}/{policy.quote}" for asset in policy.weights if asset != policy.quote]
    files = [_exchange_info(path) for path in config.backtest.exchange_info]
    found = {symbol: _rules_of(config, files, symbol) for symbol in symbols}
    missing = [symbol for symbol, rules in found.items() if rules is None]
    if missing:
        where = ", ".join(str(p) for p in config.backtest.exchange_info) or "no exchange_info file"
        raise ConfigError(
            [
                Problem(
                    f'backtest.rules."{symbol}"',
                    f"no market rules for {symbol} (looked in {where} and the built-in rules): "
                    "give amount_step, min_amount and min_notional",
                )
                for symbol in missing
            ]
        )
    return {symbol: rules for symbol, rules in found.items() if rules is not None}


def _rules_of(
    config: AppConfig, files: list[dict[tuple[str, str], dict[str, Any]]], symbol: str
) -> Market | None:
    base, _, quote = symbol.partition("/")
    given = config.backtest.rules.get(symbol)
    if given is not None:
        return Market(
            symbol,
            base,
            quote,
            given.amount_step,
            given.min_amount,
            given.min_notional,
            given.price_tick,
            DEFAULT_FEE,
        )
    entry = next((doc[(base, quote)] for doc in files if (base, quote) in doc), None)
    if entry is not None:
        return market_from_symbol_entry(entry, maker_fee=DEFAULT_FEE, taker_fee=DEFAULT_FEE)
    built_in = BUILT_IN_RULES.get(symbol)
    if built_in is None:
        return None
    return Market(
        symbol,
        base,
        quote,
        built_in.amount_step,
        built_in.min_amount,
        built_in.min_notional,
        built_in.price_tick,
        DEFAULT_FEE,
        max_amount=built_in.max_amount,
    )


@functools.lru_cache(maxsize=4)
def _exchange_info(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """A Binance exchangeInfo file's symbols by (base, quote)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(
            [Problem("backtest.exchange_info", f"cannot read {path}: {error}")]
        ) from None
    symbols = document.get("symbols") if isinstance(document, dict) else None
    if not isinstance(symbols, list):
        raise ConfigError(
            [Problem("backtest.exchange_info", f"{path}: expected an exchangeInfo document")]
        )
    return {(s["baseAsset"], s["quoteAsset"]): s for s in symbols if isinstance(s, dict)}


def cash_flows(config: AppConfig, policy: Policy, table: PriceTable) -> Iterator[CashFlow]:
    """Every configured deposit and withdrawal inside the table's range, as dated flows."""
    first = table.open_time(0).date()
    last = table.close_time(len(table) - 1).date()
    for index, flow in enumerate(config.backtest.cash_flows):
        if flow.venue is not None and flow.venue not in policy.venues:
            raise ConfigError(
                [
                    Problem(
                        f"backtest.cash_flows[{index}].venue",
                        f"{flow.venue} is not a venue of {policy.name}",
                    )
                ]
            )
        if flow.at is not None:
            days: Sequence[date] = [flow.at] if first <= flow.at <= last else []
        else:
            assert flow.every is not None
            rule = CalendarRule(flow.every, flow.day)
            days = list(_scheduled(rule, first, last))
        for day in days:
            yield CashFlow(datetime.combine(day, time(0), tzinfo=UTC), flow.amount, flow.venue)


def _scheduled(rule: CalendarRule, first: date, last: date) -> Iterator[date]:
    day = calendar.next_after(rule, first - timedelta(days=1))
    while day <= last:
        yield day
        day = calendar.next_after(rule, day)
