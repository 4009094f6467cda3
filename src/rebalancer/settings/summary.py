"""A short human summary of what a config means: what ``check-config`` prints when it is valid.

Secrets are never shown: a venue says only whether its credentials are set.
"""

from __future__ import annotations

from decimal import Decimal

from rebalancer.domain.money import format_decimal
from rebalancer.domain.policy import BandType, CalendarEvery, RebalanceTo, SmallTrade
from rebalancer.settings.app import ENV_DELIMITER, ENV_PREFIX, AppConfig
from rebalancer.settings.operators import AlertsConfig, ApiConfig
from rebalancer.settings.portfolio import PortfolioConfig
from rebalancer.settings.routes import RouteConfig
from rebalancer.settings.triggers import CalendarConfig, DriftBandConfig
from rebalancer.settings.venues import VenueConfig

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_SECONDS_PER_MINUTE = 60
_SECONDS_PER_HOUR = 3600


def summary_lines(config: AppConfig) -> list[str]:
    """Describe every portfolio, venue and route in a few lines each."""
    lines: list[str] = []
    for name, portfolio in config.portfolios.items():
        lines += portfolio_lines(name, portfolio)
    lines.append("venues:")
    lines += [f"  {name}: {venue_text(venue)}" for name, venue in config.venues.items()]
    lines.append("routes:" if config.routes else "routes: none (no transfers between venues)")
    lines += [f"  {route_text(route)}" for route in config.routes]
    lines.append(f"api: {api_text(config.api)}")
    lines.append(f"alerts: {alerts_text(config.alerts)}")
    lines += [
        f"note: {path} is written in the file; prefer {env_name(path)} in the environment"
        for path in config.secrets_in_file
    ]
    return lines


def env_name(path: str) -> str:
    """The environment variable that sets the key at dotted ``path``."""
    return ENV_PREFIX + ENV_DELIMITER.join(part.upper() for part in path.split("."))


def api_text(api: ApiConfig) -> str:
    """Whether and where the HTTP API listens (never its token)."""
    return f"http://{api.host}:{api.port} (token set)" if api.enabled else "off"


def alerts_text(alerts: AlertsConfig) -> str:
    """Where alerts go (never the tokens or webhook URLs)."""
    sinks = []
    if alerts.telegram is not None:
        sinks.append(f"Telegram ({_plural(len(alerts.telegram.chat_ids), 'chat')})")
    if alerts.slack is not None:
        slack = alerts.slack
        how = (
            f"bot, {_plural(len(slack.channel_ids), 'channel')}"
            + (", commands" if slack.app_token is not None else "")
            if slack.bot_token is not None
            else "webhook"
        )
        sinks.append(f"Slack ({how})")
    if alerts.webhook is not None:
        sinks.append("signed webhook")
    return ", ".join(sinks) if sinks else "none (alerts go to the log only)"


def portfolio_lines(name: str, portfolio: PortfolioConfig) -> list[str]:
    """The lines describing one portfolio."""
    quote = portfolio.quote
    targets = ", ".join(
        f"{asset} {format_decimal(weight)}%" + (" (cash)" if asset == quote else "")
        for asset, weight in portfolio.weights.items()
    )
    if quote not in portfolio.weights:
        targets += f", {quote} 0% (cash: not listed)"
    lines = [
        f"portfolio {name}: valued in {quote}, on {', '.join(portfolio.venues)}",
        f"  targets: {targets}",
        f"  drift band: {band_text(portfolio.drift_band)}",
        f"  calendar: {calendar_text(portfolio.calendar)}",
        f"  rebalance to: {_rebalance_to_text(portfolio)}; "
        f"cooldown: {_plural(portfolio.cooldown_days, 'day')}",
    ]
    if portfolio.drift_band is None and portfolio.calendar is None:
        lines.append("  no drift band and no calendar: it rebalances only when asked to")
    lines += [f"  {line}" for line in standing_lines(portfolio)]
    execution = portfolio.execution
    lines.append(
        f"  execution: {execution.order_type} orders, "
        f"up to {_plural(execution.max_rounds, 'round')} per run"
    )
    lines += [f"  {line}" for line in _limit_lines(portfolio)]
    return lines


def standing_lines(portfolio: PortfolioConfig) -> list[str]:
    """The runs the daemon requests by itself: deposits invested, recurring runs."""
    quote, lines = portfolio.quote, []
    contributions = portfolio.contributions
    if contributions is not None and contributions.enabled:
        least = format_decimal(contributions.min_amount)
        lines.append(f"contributions: deposits of {quote} (at least {least}) are invested")
    elif contributions is not None:
        lines.append("contributions: off (deposits are left as cash)")
    for entry in portfolio.schedule:
        amount = f" {format_decimal(entry.amount)} {quote}" if entry.amount is not None else ""
        venue = f" at {entry.venue}" if entry.venue else ""
        lines.append(f"schedule: {entry.type}{amount}{venue} {calendar_text(entry)}")
    lines.append(set_aside_text(portfolio.set_aside_days))
    return lines


def set_aside_text(days: int) -> str:
    """What happens to the cash a withdraw run raised (``set_aside_days``)."""
    kept = "until withdrawn or released" if days == 0 else f"up to {_plural(days, 'day')}"
    return f"withdrawals: the cash raised is set aside, out of the portfolio, {kept}"


def band_text(band: DriftBandConfig | None) -> str:
    """A band in words, per-asset overrides included."""
    if band is None:
        return "none (calendar only)"
    unit = " points" if band.type is BandType.ABSOLUTE else "% of the target"
    overrides = "".join(
        f"; {asset} ±{format_decimal(width)}{unit}" for asset, width in band.per_asset.items()
    )
    return f"{band.type}, ±{format_decimal(band.percent)}{unit}{overrides}"


def calendar_text(rule: CalendarConfig | None) -> str:
    """A calendar rule in words, e.g. "on day 1 of every month, 00:00 UTC"."""
    if rule is None:
        return "none (drift only)"
    if rule.every is CalendarEvery.WEEKLY:
        when = f"every {rule.day}"
    elif rule.every is CalendarEvery.ANNUALLY:
        month, day = (int(part) for part in rule.day.split("-"))
        when = f"every year on {day} {MONTHS[month - 1]}"
        if (month, day) == (2, 29):
            when += " (28 February in other years)"
    else:
        months = rule.to_rule().months if rule.every is CalendarEvery.QUARTERLY else ()
        where = _listed([MONTHS[m - 1] for m in months]) if months else "every month"
        when = f"on day {rule.day} of {where}"
        if int(rule.day) > 28:
            when += " (the last day in shorter months)"
    return f"{when}, 00:00 UTC"


def venue_text(venue: VenueConfig) -> str:
    """A venue in words; credentials only as set or not set."""
    kind = "simulated in process" if venue.simulated else f"ccxt {venue.exchange}"
    if venue.sim_connection is not None:
        kind += f" via the exchange simulator ({venue.sim_connection})"
    if venue.sandbox:
        kind += " (sandbox)"
    keys = "credentials set" if venue.has_credentials else "no credentials"
    return f"{kind}, {keys}"


def route_text(route: RouteConfig) -> str:
    """A route in words with its fee, minimum and typical delay."""
    asset = route.asset
    return (
        f"{asset} over {route.network}: {route.source} -> {route.destination}, "
        f"fee {format_decimal(route.fee)} {asset}, min {format_decimal(route.min_amount)} "
        f"{asset}, about {duration_text(route.eta_s)}"
    )


def duration_text(seconds: float) -> str:
    """A duration in the largest whole unit that fits, e.g. "30 min" or "2 h"."""
    if seconds >= _SECONDS_PER_HOUR and seconds % _SECONDS_PER_HOUR == 0:
        return f"{int(seconds // _SECONDS_PER_HOUR)} h"
    if seconds >= _SECONDS_PER_MINUTE and seconds % _SECONDS_PER_MINUTE == 0:
        return f"{int(seconds // _SECONDS_PER_MINUTE)} min"
    return f"{format_decimal(Decimal(str(seconds)).normalize())} s"


def _limit_lines(portfolio: PortfolioConfig) -> list[str]:
    quote, limits = portfolio.quote, portfolio.limits
    parts: list[str] = []
    if limits.min_trade_notional:
        small = "enlarged to it" if limits.on_small_trade is SmallTrade.ENLARGE else "dropped"
        floor = format_decimal(limits.min_trade_notional)
        parts.append(f"trades under {floor} {quote} {small}")
    if limits.min_trade_percent_of_position:
        parts.append(
            f"trades under {format_decimal(limits.min_trade_percent_of_position)}% "
            "of a position skipped"
        )
    if limits.max_trades_per_run is not None:
        parts.append(f"at most {_plural(limits.max_trades_per_run, 'trade')} per run")
    if limits.max_order_notional is not None:
        parts.append(f"orders over {format_decimal(limits.max_order_notional)} {quote} sliced")
    parts += [
        f"{format_decimal(amount)} {quote} kept on {venue}"
        for venue, amount in portfolio.cash_reserve.items()
    ]
    parts += [
        f"no {', '.join(assets)} on {venue}" for venue, assets in portfolio.forbidden_assets.items()
    ]
    lines = [f"limits: {'; '.join(parts)}"] if parts else []
    threshold = portfolio.approval.required_above_notional
    if threshold is not None:
        lines.append(f"approval: needed for plans trading over {format_decimal(threshold)} {quote}")
    return lines


def _rebalance_to_text(portfolio: PortfolioConfig) -> str:
    if portfolio.rebalance_to is RebalanceTo.BAND_EDGE and portfolio.drift_band is not None:
        margin = format_decimal(portfolio.band_edge_margin_percent)
        return f"the band edge (least turnover), {margin}% of the half-band inside"
    tolerance = format_decimal(portfolio.target_tolerance_percent)
    return f"the target, done within ±{tolerance} points"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
