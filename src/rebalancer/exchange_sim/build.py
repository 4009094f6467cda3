"""Build an engine from a ``SimulatorConfig``: markets, books, accounts, networks, prices.

This is where the simulator reads files (the exchangeInfo document and kline CSVs), so the
engine itself never does I/O.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rebalancer.domain.market import Market
from rebalancer.exchange_sim.config import (
    MarketRulesConfig,
    NetworkConfig,
    SimulatorConfig,
    VenueConfig,
)
from rebalancer.exchange_sim.default_rules import (
    BUILT_IN_RULES,
    OKX_BUILT_IN_INSTRUMENTS,
    DefaultRules,
)
from rebalancer.exchange_sim.engine import (
    Account,
    BookShape,
    Clock,
    Engine,
    Network,
    PricePath,
    RandomWalkPath,
    ReplayPath,
    ScriptedPath,
    markets_from_exchange_info,
)
from rebalancer.exchange_sim.engine.prices import parse_kline_csv
from rebalancer.exchange_sim.engine.rules import markets_from_okx_instruments


def build_engine(config: SimulatorConfig, clock: Clock) -> Engine:
    """A ready engine: every venue, account and network from ``config``, prices started."""
    engine = Engine(clock)
    for name, venue in config.venues.items():
        markets = _markets(venue, config)
        shape = BookShape(
            spread_bps=venue.book.spread_bps,
            levels=venue.book.levels,
            level_gap_bps=venue.book.level_gap_bps,
            level_notional=venue.book.level_notional,
        )
        engine.add_venue(name, markets, shape, price_offset_bps=venue.price_offset_bps)
        for net in venue.networks:
            engine.add_network(name, _network(net), address=net.address)
        for account in venue.accounts:
            engine.add_account(name, Account(account.api_key, account.secret, account.passphrase))
    fund_accounts(engine, config)
    engine.set_price_path(price_path(config))
    return engine


def fund_accounts(engine: Engine, config: SimulatorConfig) -> None:
    """Set every account's balances to the config's starting balances (all free)."""
    for name, venue in config.venues.items():
        for account_config in venue.accounts:
            account = engine.venue(name).accounts[account_config.api_key]
            account.balances.clear()
            for asset, amount in account_config.balances.items():
                account.credit(asset, amount)


def price_path(config: SimulatorConfig) -> PricePath:
    """A fresh price path of the configured kind (random walks restart from their seed)."""
    prices = config.prices
    if prices.source == "static":
        return ScriptedPath([(0.0, dict(prices.start))])
    if prices.source == "scripted":
        return ScriptedPath([(step.at_s, dict(step.prices)) for step in prices.steps])
    if prices.source == "replay":
        bars = {
            symbol: parse_kline_csv(
                config.resolve(path).read_text(encoding="utf-8"), limit=prices.max_bars
            )
            for symbol, path in prices.klines.items()
        }
        return ReplayPath(bars, speed=prices.speed)
    return RandomWalkPath(
        dict(prices.start),
        seed=prices.seed,
        annual_volatility=prices.annual_volatility,
        correlation=prices.correlation,
        step_s=prices.step_s,
    )


@functools.lru_cache(maxsize=4)
def _rules_file(path: Path) -> Any:
    """A parsed rules file (4 MB for all of Binance: parse it once per process)."""
    return json.loads(path.read_text(encoding="utf-8"))


def _markets(venue: VenueConfig, config: SimulatorConfig) -> list[Market]:
    """Each market's rules: the venue's own ``rules``, else its exchange's rules file if one is
    configured, else the simulator's built-in rules of that exchange."""
    without_rules = [s for s in venue.markets if s not in venue.rules]
    fees = {"maker_fee": venue.maker_fee, "taker_fee": venue.taker_fee}
    loaded: dict[str, Market] = {}
    if venue.protocol == "okx":
        path = config.simulator.okx_instruments
        instruments = _okx_instruments(config.resolve(path)) if path else OKX_BUILT_IN_INSTRUMENTS
        loaded = {
            m.symbol: m for m in markets_from_okx_instruments(instruments, without_rules, **fees)
        }
    elif without_rules and config.simulator.exchange_info is not None:
        info = _rules_file(config.resolve(config.simulator.exchange_info))
        loaded = {m.symbol: m for m in markets_from_exchange_info(info, without_rules, **fees)}
    markets = []
    for symbol in venue.markets:
        if symbol in loaded:
            markets.append(loaded[symbol])
            continue
        rules: MarketRulesConfig | DefaultRules = venue.rules.get(symbol) or BUILT_IN_RULES[symbol]
        base, _, quote = symbol.partition("/")
        markets.append(
            Market(
                symbol=symbol,
                base=base,
                quote=quote,
                amount_step=rules.amount_step,
                min_amount=rules.min_amount,
                min_notional=rules.min_notional,
                price_tick=rules.price_tick,
                taker_fee=venue.taker_fee,
                maker_fee=venue.maker_fee,
                max_amount=rules.max_amount,
            )
        )
    return markets


def _network(net: NetworkConfig) -> Network:
    return Network(
        asset=net.asset,
        network=net.network,
        fee=net.fee,
        min_amount=net.min_amount,
        delay_s=net.delay_s,
        withdraw_enabled=net.withdraw_enabled,
        deposit_enabled=net.deposit_enabled,
        is_default=net.default,
    )


def _okx_instruments(path: Path) -> list[Mapping[str, Any]]:
    """The instruments of an OKX ``public/instruments`` reply (the whole reply or its data)."""
    parsed = _rules_file(path)
    entries = parsed.get("data") if isinstance(parsed, Mapping) else parsed
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected OKX's public/instruments reply (a data list)")
    return entries
