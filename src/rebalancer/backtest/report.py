"""The report directory: ``report.html`` (one self-contained page), the charts and ``result.json``.

Everything shown comes from the analyses (themselves recomputed from the fills) and the price
table: figures per scenario, the distance to the clairvoyant bound, listings, delistings, gaps
and breaker trips, the runs by trigger and outcome, and what the backtest assumed.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rebalancer.backtest.analysis import Analysis
from rebalancer.backtest.prices import PriceTable
from rebalancer.backtest.spec import BacktestSetup
from rebalancer.domain.money import format_decimal
from rebalancer.domain.policy import Policy


@dataclass(frozen=True, slots=True)
class Context:
    """What the backtest was asked, for the report's header and assumptions."""

    portfolio: str
    table: PriceTable
    setup: BacktestSetup
    descriptions: dict[str, str]  # scenario key -> what it is, in words
    notes: tuple[str, ...] = ()  # comparisons left out, and why


def summary(context: Context, analyses: Sequence[Analysis]) -> dict[str, Any]:
    """Everything in ``result.json`` (plain JSON values)."""
    table, policy = context.table, analyses[0].result.configured
    return {
        "portfolio": context.portfolio,
        "quote": policy.quote,
        "interval": table.interval,
        "from": table.open_time(0).isoformat(),
        "to": table.close_time(len(table) - 1).isoformat(),
        "bars": len(table),
        "years": round(table.years, 4),
        "policy": policy_summary(policy),
        "setup": setup_summary(context.setup),
        "prices": prices_summary(table, policy),
        "scenarios": [scenario_summary(a, context.descriptions.get(a.key, "")) for a in analyses],
        "not_compared": list(context.notes),
    }


def policy_summary(policy: Policy) -> dict[str, Any]:
    """The replayed policy as the config states it."""
    band = policy.drift_band
    calendar = policy.calendar
    return {
        "weights": {a: format_decimal(w) for a, w in sorted(policy.weights.items())},
        "drift_band": None
        if band is None
        else {
            "type": band.type.value,
            "percent": format_decimal(band.percent),
            "per_asset": {a: format_decimal(p) for a, p in band.per_asset.items()},
        },
        "calendar": None
        if calendar is None
        else {"every": calendar.every.value, "day": calendar.day},
        "rebalance_to": policy.rebalance_to.value,
        "cooldown_days": policy.cooldown_days,
        "venues": list(policy.venues),
    }


def setup_summary(setup: BacktestSetup) -> dict[str, Any]:
    """The assumptions history does not give."""
    return {
        "start_value": format_decimal(setup.start_value),
        "fees": {v: format_decimal(f) for v, f in setup.fees.items()},
        "spread": setup.spread.describe(),
        "on_delisting": setup.on_delisting.value,
        "on_breaker": setup.on_breaker.value,
        "routes": [
            {
                "asset": r.asset,
                "network": r.network,
                "from": r.source,
                "to": r.destination,
                "fee": format_decimal(r.fee),
                "eta_s": r.eta_s,
            }
            for r in setup.routes
        ],
        "cash_flows": [
            {"at": f.at.isoformat(), "amount": format_decimal(f.amount), "venue": f.venue}
            for f in setup.cash_flows
        ],
    }


def prices_summary(table: PriceTable, policy: Policy) -> dict[str, Any]:
    """Per asset: the files used, listing, delisting and gaps."""
    out: dict[str, Any] = {}
    for asset, bars in sorted(table.assets.items()):
        if asset not in policy.weights:
            continue
        out[asset] = {
            "files": list(bars.sources),
            "first_bar": table.open_time(bars.first).isoformat() if bars.first >= 0 else None,
            "last_bar": table.open_time(bars.last).isoformat() if bars.last >= 0 else None,
            "delisted": bars.delisted,
            "missing_bars": bars.gaps,
        }
    return out


def scenario_summary(analysis: Analysis, description: str) -> dict[str, Any]:
    """One scenario: figures, bound, runs, events."""
    result = analysis.result
    bound = analysis.bound
    runs = [r for r in result.runs if r.id != result.initial_run]
    return {
        "key": analysis.key,
        "label": result.label,
        "description": description,
        "figures": analysis.figures.as_dict(),
        "bound": None
        if bound is None
        else {
            "cost": bound.cost,
            "status": bound.status,
            "variables": bound.variables,
            "windows": bound.windows,
            "seconds": round(bound.seconds, 3),
        },
        "bound_note": analysis.bound_note,
        "cost_ratio": analysis.cost_ratio,
        "runs_by_trigger": dict(Counter(r.trigger for r in runs)),
        "runs_by_status": dict(Counter(r.status for r in runs)),
        "checks": dict(result.checks),
        "bars_skipped_while_busy": result.busy_bars,
        "breaker_trips": result.breaker_trips,
        "orders_refused": dict(result.refused),
        "events": [{"bar": e.bar, "kind": e.kind, "text": e.text} for e in result.events],
        "engine": {
            "balances": {
                venue: {asset: format_decimal(amount) for asset, amount in sorted(held.items())}
                for venue, held in result.final_balances.items()
            },
            "in_transit": {a: format_decimal(v) for a, v in sorted(result.in_transit.items())},
            "last_prices": {a: format_decimal(p) for a, p in sorted(result.final_prices.items())},
        },
        "seconds": round(analysis.seconds, 3),
    }


def write_report(
    directory: Path, context: Context, analyses: Sequence[Analysis], charts: Sequence[Path]
) -> tuple[Path, Path]:
    """Write ``result.json`` and ``report.html`` into ``directory``; return both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    data = summary(context, analyses)
    data["value"] = {
        "dates": [d.isoformat() for d in _dates(context.table)],
        **{a.key: [round(float(v), 6) for v in a.series.value] for a in analyses},
    }
    result = directory / "result.json"
    result.write_text(json.dumps(finite(data), indent=1, allow_nan=False) + "\n")
    page = directory / "report.html"
    page.write_text(render_html(summary(context, analyses), charts), encoding="utf-8")
    return result, page


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None (JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    return value


def _dates(table: PriceTable) -> list[datetime]:
    return [table.close_time(i) for i in range(len(table))]


FIGURE_ROWS = (
    ("final_value", "Final value", "money"),
    ("total_return", "Total return", "percent"),
    ("cagr", "CAGR", "percent"),
    ("volatility", "Volatility (annual)", "percent"),
    ("max_drawdown", "Max drawdown", "percent"),
    ("sharpe", "Sharpe (no risk-free rate)", "number"),
    ("turnover", "Turnover (one-way, per year)", "percent"),
    ("fees", "Fees", "money"),
    ("spread", "Spread crossed", "money"),
    ("transfer_fees", "Transfer fees", "money"),
    ("cost", "Rebalancing cost", "money"),
    ("initial_cost", "Cost of the first purchase", "money"),
    ("rebalances", "Rebalances", "integer"),
    ("time_outside_bands", "Time outside the bands", "percent"),
    ("mean_drift", "Mean drift (pp)", "number"),
    ("max_drift", "Max drift (pp)", "number"),
)


FORMATS = {"money": "{:,.2f}", "percent": "{:,.2f} %", "integer": "{:,.0f}", "number": "{:,.2f}"}


def _cell(value: object, kind: str) -> str:
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return (
            "n/a" if value is None or isinstance(value, (int, float)) else html.escape(str(value))
        )
    number = float(value) * (100 if kind == "percent" else 1)
    return FORMATS[kind].format(number)


def render_html(data: dict[str, Any], charts: Sequence[Path]) -> str:
    """The self-contained page: tables, assumptions, events and the charts inlined."""
    scenarios = data["scenarios"]
    head = "".join(f"<th>{html.escape(s['label'])}</th>" for s in scenarios)
    rows = []
    for key, title, kind in FIGURE_ROWS:
        cells = "".join(f"<td>{_cell(s['figures'].get(key), kind)}</td>" for s in scenarios)
        rows.append(f"<tr><th>{title}</th>{cells}</tr>")
    bound_cells = "".join(f"<td>{_bound_cell(s)}</td>" for s in scenarios)
    ratio_cells = "".join(f"<td>{_cell(s['cost_ratio'], 'number')}</td>" for s in scenarios)
    rows.append(f"<tr><th>Clairvoyant bound (cost)</th>{bound_cells}</tr>")
    rows.append(f"<tr><th>Cost / bound</th>{ratio_cells}</tr>")
    described = "".join(
        f"<li><b>{html.escape(s['label'])}</b>: {html.escape(s['description'])}</li>"
        for s in scenarios
    )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in data["not_compared"])
    images = "".join(_image(path) for path in charts)
    policy = scenarios[0]
    events = "".join(
        f"<li>{html.escape(e['kind'])}: {html.escape(e['text'])}</li>" for e in policy["events"]
    )
    runs = ", ".join(f"{k}: {v}" for k, v in sorted(policy["runs_by_trigger"].items()))
    outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(policy["runs_by_status"].items()))
    prices = "".join(
        f"<tr><td>{html.escape(a)}</td><td>{html.escape(', '.join(p['files']))}</td>"
        f"<td>{_day(p['first_bar'])}</td><td>{_day(p['last_bar'])}"
        f"{' (delisted)' if p['delisted'] else ''}</td><td>{p['missing_bars']}</td></tr>"
        for a, p in data["prices"].items()
    )
    setup = data["setup"]
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Backtest of {html.escape(data["portfolio"])}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 64em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}
img {{ max-width: 100%; margin: 0.5em 0; }}
.small {{ color: #666; font-size: 0.85em; }}
</style></head><body>
<h1>Backtest of portfolio <code>{html.escape(data["portfolio"])}</code></h1>
<p>{_day(data["from"])} to {_day(data["to"])}, {data["bars"]:,} bars of {data["interval"]}
({data["years"]:.2f} years), start value {setup["start_value"]} {html.escape(data["quote"])}.
Every figure is recomputed from the fills of the daemon's own runs.</p>
<table><tr><th></th>{head}</tr>{"".join(rows)}</table>
<ul>{described}</ul>{_notes(notes)}
{images}
<h2>What happened</h2>
<p>Runs after the first purchase by trigger: {html.escape(runs or "none")};
by outcome: {html.escape(outcomes or "none")}. Circuit breaker trips: {policy["breaker_trips"]}.
Bars whose check was skipped because a run was still going: {policy["bars_skipped_while_busy"]}.
Orders the venue refused: {html.escape(_refused(policy["orders_refused"]))}.</p>
<ul>{events or "<li>no listings, delistings or breaker trips</li>"}</ul>
<h2>Assumptions</h2>
<p>Fees: {html.escape(json.dumps(setup["fees"]))}; spread: {html.escape(setup["spread"])};
a delisted coin's weight goes to {html.escape(setup["on_delisting"])};
breaker trips: {html.escape(setup["on_breaker"])}. Transfer routes:
{html.escape(json.dumps(setup["routes"])) if setup["routes"] else "none"}.</p>
<p class="small">The clairvoyant bound is the least cost of any trading that is inside the
bands at every bar where the policy was, knowing every price in advance (a linear program
solved with HiGHS). A long history is solved in windows, each starting from the policy's own
value at its first bar in whatever mix suits it: still a lower bound on the policy's cost.</p>
<table><tr><th>Asset</th><th>Files</th><th>First bar</th><th>Last bar</th><th>Missing bars</th></tr>
{prices}</table>
<p class="small">Generated {generated} by rebalancer backtest.</p>
</body></html>
"""


def _refused(counts: dict[str, int]) -> str:
    if not counts:
        return "none"
    return "; ".join(f"{count} x {why}" for why, count in sorted(counts.items()))


def _notes(items: str) -> str:
    return f'<p class="small">Not compared:</p><ul class="small">{items}</ul>' if items else ""


def _bound_cell(scenario: dict[str, Any]) -> str:
    bound = scenario["bound"]
    if bound is None:
        return html.escape(scenario["bound_note"] or "n/a")
    windows = f" ({bound['windows']} windows)" if bound["windows"] > 1 else ""
    return f"{_cell(bound['cost'], 'money')}{windows}"


def _day(text: str | None) -> str:
    return "n/a" if text is None else text[:10]


def _image(path: Path) -> str:
    encoded = base64.b64encode(path.read_bytes()).decode("ascii")
    alt = path.stem
    return f'<img alt="{alt}" src="data:image/png;base64,{encoded}">'
