"""How far inside its band a ``band_edge`` run should land: a quick simulation on real prices.

The example portfolio (BTC 40 %, ETH 30 %, SOL 10 %, USDT 20 %; absolute bands of 5 points,
SOL 8) is followed hour by hour over Binance's 2022-2024 hourly closes. Whenever a weight
leaves its band, every weight is moved, with the least turnover, into the band narrowed by
``margin`` × its half-width (what the planner does with ``band_edge_margin_percent``). For each
margin the script prints rebalancing events per year, one-way turnover per year, the trading
cost per year at 0.1 % fee plus 1 bp half-spread, and the mean distance from target.

It is a model of the planner (continuous weights, no lots, no minimums), not the planner: it
answers "how does the number of runs scale with the margin" before the backtester exists.

    .venv/bin/python benchmarks/band_margin.py [--every-hours N]
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fixtures.realdata import DATA_DIR  # noqa: E402

TARGETS = {"BTC": 0.40, "ETH": 0.30, "SOL": 0.10, "USDT": 0.20}
HALF_WIDTH = {"BTC": 0.05, "ETH": 0.05, "SOL": 0.08, "USDT": 0.05}
COST_RATE = 0.001 + 0.0001  # taker fee plus half-spread, per unit traded
MARGINS = (0.0025, 0.05, 0.10, 0.125, 0.20, 0.25, 0.30, 0.40, 0.50, 0.75, 1.0)


def closes(asset: str) -> dict[str, float]:
    """Hourly closes of ASSET/USDT by timestamp."""
    path = DATA_DIR / "binance-spot-klines" / f"{asset}USDT_1h.csv"
    with path.open(newline="") as handle:
        return {row["timestamp"]: float(row["close"]) for row in csv.DictReader(handle)}


def price_path() -> list[dict[str, float]]:
    """Hourly prices of every asset, on the hours all of them have (2022-2024)."""
    series = {asset: closes(asset) for asset in TARGETS if asset != "USDT"}
    hours = sorted(set.intersection(*(set(s) for s in series.values())))
    return [{a: series[a][h] for a in series} | {"USDT": 1.0} for h in hours]


def project(weights: dict[str, float], bands: dict[str, tuple[float, float]]) -> dict[str, float]:
    """The least-turnover move of ``weights`` into ``bands`` (sum kept at 1)."""
    moved = {a: min(max(w, bands[a][0]), bands[a][1]) for a, w in weights.items()}
    gap = 1.0 - sum(moved.values())
    # fill the gap from the assets with room, furthest from target first
    order = sorted(moved, key=lambda a: (moved[a] - TARGETS[a]) * (1 if gap < 0 else -1))
    for asset in reversed(order):
        low, high = bands[asset]
        room = (high - moved[asset]) if gap > 0 else (moved[asset] - low)
        step = min(abs(gap), max(room, 0.0))
        moved[asset] += step if gap > 0 else -step
        gap += -step if gap > 0 else step
        if abs(gap) < 1e-15:
            break
    return moved


@dataclass
class Result:
    """What one margin did over the whole path."""

    margin: float
    events: int
    turnover: float  # one-way, in portfolio values
    cost: float  # in portfolio values
    distance: float  # mean Σ|w - t| / 2
    years: float


def simulate(path: list[dict[str, float]], margin: float, every: int) -> Result:
    """Follow the portfolio along ``path``, checking every ``every`` hours."""
    trigger = {a: (TARGETS[a] - HALF_WIDTH[a], TARGETS[a] + HALF_WIDTH[a]) for a in TARGETS}
    inner = {
        a: (TARGETS[a] - HALF_WIDTH[a] * (1 - margin), TARGETS[a] + HALF_WIDTH[a] * (1 - margin))
        for a in TARGETS
    }
    units = {a: TARGETS[a] / path[0][a] for a in TARGETS}  # a portfolio of value 1 at start
    events, turnover, cost, distance, samples = 0, 0.0, 0.0, 0.0, 0
    for index, prices in enumerate(path):
        values = {a: units[a] * prices[a] for a in TARGETS}
        total = sum(values.values())
        weights = {a: v / total for a, v in values.items()}
        distance += sum(abs(weights[a] - TARGETS[a]) for a in TARGETS) / 2
        samples += 1
        if index % every:
            continue
        if all(trigger[a][0] <= weights[a] <= trigger[a][1] for a in TARGETS):
            continue
        after = project(weights, inner)
        traded = sum(abs(after[a] - weights[a]) for a in TARGETS if a != "USDT")
        events += 1
        turnover += max(
            sum(max(0.0, after[a] - weights[a]) for a in TARGETS if a != "USDT"),
            sum(max(0.0, weights[a] - after[a]) for a in TARGETS if a != "USDT"),
        )
        cost += traded * COST_RATE
        total *= 1 - traded * COST_RATE
        units = {a: after[a] * total / prices[a] for a in TARGETS}
    return Result(margin, events, turnover, cost, distance / samples, len(path) / 24 / 365.25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--every-hours", type=int, default=1, help="check interval in hours")
    args = parser.parse_args()
    path = price_path()
    print(f"{len(path)} hourly prices, checks every {args.every_hours} h")
    print("margin  events/yr  turnover/yr  cost/yr (bp)  mean distance from target (points)")
    for margin in MARGINS:
        r = simulate(path, margin, args.every_hours)
        print(
            f"{margin:6.4f}  {r.events / r.years:9.1f}  {r.turnover / r.years:11.3f}  "
            f"{r.cost / r.years * 1e4:12.1f}  {r.distance * 100:6.2f}"
        )


if __name__ == "__main__":
    main()
