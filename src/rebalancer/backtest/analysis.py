"""One scenario from replay to figures: the replay, its ledger, series, figures and bound.

``run_all`` replays several scenarios on the same prices and costs, in parallel processes when
asked (each replay is independent, and the bound's LP is the slow part of a short history).
The first scenario can report its progress bar by bar.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from rebalancer.backtest.bound import replay_bound, too_big
from rebalancer.backtest.ledger import build_ledger
from rebalancer.backtest.metrics import Figures, Series, figures, series_of
from rebalancer.backtest.prices import PriceTable
from rebalancer.backtest.replay import replay
from rebalancer.backtest.results import ReplayResult
from rebalancer.backtest.spec import BacktestSetup, Scenario
from rebalancer.core.clairvoyant import Bound


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the report shows about one scenario."""

    key: str
    result: ReplayResult
    assets: tuple[str, ...]
    series: Series
    figures: Figures
    bound: Bound | None
    bound_note: str | None
    seconds: float  # replay and analysis, wall clock

    @property
    def cost_ratio(self) -> float | None:
        """The scenario's rebalancing cost over the clairvoyant bound (None: no bound)."""
        if self.bound is None or not self.bound.cost > 0:
            return None
        return self.figures.cost / self.bound.cost


def analyse(
    key: str,
    table: PriceTable,
    setup: BacktestSetup,
    scenario: Scenario,
    *,
    bound: bool = True,
    on_bar: Callable[[int], None] | None = None,
) -> Analysis:
    """Replay ``scenario`` and compute its figures (and bound, if asked and it has bands)."""
    started = time.perf_counter()
    result = replay(table, setup, scenario, on_bar=on_bar)
    ledger = build_ledger(table, result)
    series = series_of(table, result, ledger)
    shown = figures(table, result, ledger, series)
    found, note = None, None
    if not bound:
        note = "not computed (--no-bound)"
    elif scenario.policy.drift_band is None:
        note = "no bands: nothing to bound"
    elif (note := too_big(table, ledger)) is None:
        found = replay_bound(table, setup, result, ledger, series)
        if found.status != "Optimal":
            note = f"the LP ended {found.status}"
    return Analysis(
        key, result, ledger.assets, series, shown, found, note, time.perf_counter() - started
    )


def _telling(on_done: Callable[[str], None], key: str) -> Callable[[Future[Analysis]], None]:
    def done(_: Future[Analysis]) -> None:
        on_done(key)

    return done


def run_all(
    table: PriceTable,
    setup: BacktestSetup,
    scenarios: Sequence[tuple[str, Scenario]],
    *,
    jobs: int = 1,
    bound: bool = True,
    on_bar: Callable[[int], None] | None = None,
    on_done: Callable[[str], None] | None = None,
) -> list[Analysis]:
    """Analyse every scenario; the first in this process (with ``on_bar``), others in a pool."""
    if not scenarios:
        return []
    (first_key, first), rest = scenarios[0], list(scenarios[1:])
    if jobs <= 1 or not rest:
        done = [analyse(first_key, table, setup, first, bound=bound, on_bar=on_bar)]
        for key, scenario in rest:
            done.append(analyse(key, table, setup, scenario, bound=bound))
            if on_done is not None:
                on_done(key)
        return done
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=max(1, jobs - 1), mp_context=context) as pool:
        futures: list[Future[Analysis]] = [
            pool.submit(analyse, key, table, setup, scenario, bound=bound) for key, scenario in rest
        ]
        if on_done is not None:
            for future, (key, _) in zip(futures, rest, strict=True):
                future.add_done_callback(_telling(on_done, key))
        main = analyse(first_key, table, setup, first, bound=bound, on_bar=on_bar)
        return [main, *(future.result() for future in futures)]
