"""The whole-backtest cost bound: a clairvoyant multi-period LP on the realised price path.

Knowing every bar's prices in advance, what is the least a portfolio must pay in fees and spread
to be inside its bands at the bars where a policy was? Any policy that was inside its bands at
those bars, trading on the same costs, is a feasible point of this LP (its own trades), so the
LP's optimum is a lower bound on its cost (Boyd et al., "Multi-Period Trading via
Convex Optimization", 2017; the policy-as-feasible-point argument of Lobo, Fazel and Boyd).

Money is in the quote asset at each bar's mid. Per bar ``t`` after the first and asset ``a``:

* ``b``, ``s`` >= 0: bought and sold (value at the mid); ``x`` >= 0: held after trading;
  ``d`` >= 0: value lost outside the model (a withdrawal fee, a fee rounded up, a pricier venue);
* ``c`` >= 0: cash after trading; ``e`` >= 0: cash lost outside the model; ``w``: total value.

Dynamics, exactly as the exchange engine charges (fee in the asset received)::

    x[t,a] = r[t,a] x[t-1,a] + (1 - f) b - s - d          r = price[t] / price[t-1]
    c[t]   = c[t-1] + flow[t] - Σ (1 + h) b + Σ (1 - h)(1 - f) s - e
    w[t]   = Σ x[t,a] + c[t];   lower[t,a] w <= x[t,a] <= upper[t,a] w   at the banded bars

with ``h`` the half-spread and ``f`` the fee rate. The objective is what trading loses at the
mid, ``Σ (h + f) b + (h + f - h f) s``, plus every ``d`` and ``e``: for a policy's own point it
is exactly the cost the report measures, so the bound is never above it. Asset holdings can be
capped per bar (zero before a listing; the dust left after a delisting).

Floats are fine here (a numeric model, as the planner's solver); HiGHS solves it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class BoundProblem:
    """The realised path and what must hold; bars in rows, non-cash assets in columns."""

    prices: Matrix  # mid per bar and asset (NaN or 0 where the asset has no price)
    half_spread: Matrix  # h per bar and asset (fraction)
    fee: npt.NDArray[np.float64]  # f per asset (fraction; the cheapest venue's)
    start_units: npt.NDArray[np.float64]  # units held after bar 0's trading
    start_cash: float
    lower: Matrix  # band edges as fractions of total value, per bar, assets then cash last
    upper: Matrix
    banded: Mask  # bars where the bands must hold
    cap: Matrix  # most value an asset may be held at per bar (inf: no cap)
    tradable: Mask  # bars and assets that may be traded
    flows: npt.NDArray[np.float64]  # cash brought in (+) or taken out (-) per bar
    totals: npt.NDArray[np.float64] | None = None  # the policy's value per bar (windows)
    free_start: bool = False  # the first bar's mix is free, its total value ``start_cash``

    def window(self, start: int, stop: int) -> BoundProblem:
        """Bars ``start..stop-1``; after the first window, the first bar's mix is free.

        A later window starts from the policy's own total value at its first bar, in any mix.
        The policy's trades inside the window are a feasible point of it (its own mix is one
        of those allowed), so each window's optimum is at most what the policy paid there, and
        the sum over windows is a lower bound on the policy's cost. It is not a relaxation of
        the single LP: the single LP's path may hold a different total at that bar, so the sum
        can land above or below the single LP's optimum.
        """
        if start == 0:
            first_units, first_cash, free = self.start_units, self.start_cash, False
        else:
            if self.totals is None:
                raise ValueError("windows after the first need the policy's totals")
            first_units, first_cash, free = self.start_units * 0, float(self.totals[start]), True
        cut = slice(start, stop)
        return BoundProblem(
            prices=self.prices[cut],
            half_spread=self.half_spread[cut],
            fee=self.fee,
            start_units=first_units,
            start_cash=first_cash,
            lower=self.lower[cut],
            upper=self.upper[cut],
            banded=self.banded[cut],
            cap=self.cap[cut],
            tradable=self.tradable[cut],
            flows=self.flows[cut],
            free_start=free,
        )


@dataclass(frozen=True, slots=True)
class Bound:
    """The LP's answer: the least cost, how the solve ended and how big it was."""

    cost: float
    status: str
    variables: int
    constraints: int
    seconds: float
    windows: int = 1


def clairvoyant_bound(
    problem: BoundProblem,
    *,
    time_limit_s: float = 600.0,
    options: dict[str, bool | int | float | str] | None = None,
) -> Bound:
    """Solve the clairvoyant LP of ``problem`` with HiGHS (see the module doc)."""
    import highspy  # only the bound pays for loading the solver

    started = time.perf_counter()
    layout = _Layout(problem)
    cost, lower, upper, rows = layout.build()
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", float(time_limit_s))
    for name, setting in (options or {}).items():
        highs.setOptionValue(name, setting)
    lp = highspy.HighsLp()
    lp.num_col_ = len(cost)
    lp.num_row_ = len(rows.lower)
    lp.col_cost_ = cost
    lp.col_lower_ = lower
    lp.col_upper_ = np.minimum(upper, highspy.kHighsInf)
    lp.row_lower_ = np.maximum(rows.lower, -highspy.kHighsInf)
    lp.row_upper_ = np.minimum(rows.upper, highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    start, index, value = rows.columnwise(len(cost))
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    highs.passModel(lp)
    highs.run()
    status = highs.modelStatusToString(highs.getModelStatus())
    objective = float(highs.getInfo().objective_function_value)
    return Bound(
        cost=objective if status == "Optimal" else float("nan"),
        status=status,
        variables=len(cost),
        constraints=len(rows.lower),
        seconds=time.perf_counter() - started,
    )


def windowed_bound(
    problem: BoundProblem, *, max_variables: int = 12_000, time_limit_s: float = 600.0
) -> Bound:
    """``clairvoyant_bound`` over windows of at most ``max_variables``, costs summed.

    The single LP when one window holds it all. HiGHS's time grows faster than linearly with
    the number of bars, so a long history is cut into windows that each start from the
    policy's own total value (see ``BoundProblem.window``); the sum is still a lower bound on
    the policy's cost.
    """
    bars, assets = problem.prices.shape
    per_bar = 4 * assets + 3
    size = max(2, max_variables // per_bar)
    total = Bound(0.0, "Optimal", 0, 0, 0.0, windows=0)
    for start in range(0, bars - 1, size):
        part = clairvoyant_bound(
            problem.window(start, min(bars, start + size + 1)), time_limit_s=time_limit_s
        )
        status = part.status if part.status != "Optimal" else total.status
        total = Bound(
            total.cost + part.cost,
            status,
            total.variables + part.variables,
            total.constraints + part.constraints,
            total.seconds + part.seconds,
            total.windows + 1,
        )
    return total


class _Rows:
    """Constraint rows collected as coordinate triplets."""

    def __init__(self) -> None:
        self.row: list[npt.NDArray[np.int64]] = []
        self.col: list[npt.NDArray[np.int64]] = []
        self.val: list[Matrix] = []
        self.lower_parts: list[Matrix] = []
        self.upper_parts: list[Matrix] = []
        self.count = 0

    def add(
        self,
        terms: list[tuple[npt.NDArray[np.int64], Matrix]],
        lower: Matrix,
        upper: Matrix,
    ) -> None:
        """Add ``len(lower)`` rows; each term is (columns, coefficients), one per row."""
        size = len(lower)
        rows = np.arange(self.count, self.count + size, dtype=np.int64)
        for cols, coefs in terms:
            self.row.append(rows)
            self.col.append(np.asarray(cols, dtype=np.int64))
            self.val.append(np.broadcast_to(np.asarray(coefs, dtype=np.float64), (size,)))
        self.lower_parts.append(lower)
        self.upper_parts.append(upper)
        self.count += size

    @property
    def lower(self) -> Matrix:
        return np.concatenate(self.lower_parts) if self.lower_parts else np.zeros(0)

    @property
    def upper(self) -> Matrix:
        return np.concatenate(self.upper_parts) if self.upper_parts else np.zeros(0)

    def columnwise(
        self, columns: int
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], Matrix]:
        """The matrix in compressed columns (HiGHS's format), zero entries dropped."""
        row = np.concatenate(self.row)
        col = np.concatenate(self.col)
        val = np.concatenate(self.val)
        keep = val != 0
        row, col, val = row[keep], col[keep], val[keep]
        order = np.lexsort((row, col))
        counts = np.bincount(col, minlength=columns)
        start = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
        return start, row[order].astype(np.int32), val[order]


class _Layout:
    """Where each variable lives: per bar t >= 1, blocks b, s, x, d (per asset), then c, e, w;
    after them, for a free start, the first bar's n asset values and its cash."""

    def __init__(self, problem: BoundProblem) -> None:
        self.p = problem
        self.bars, self.n = problem.prices.shape
        self.width = 4 * self.n + 3
        self.first = (self.bars - 1) * self.width
        self.size = self.first + (self.n + 1 if problem.free_start else 0)
        self.t = np.arange(1, self.bars, dtype=np.int64)
        self.tt = np.repeat(self.t, self.n)  # (bar, asset) pairs, bar-major
        self.aa = np.tile(np.arange(self.n, dtype=np.int64), self.bars - 1)
        self.h = problem.half_spread
        self.f = np.broadcast_to(problem.fee, (self.bars, self.n))
        self.rows = _Rows()

    def var(self, t: Ints, block: int, asset: Ints | int) -> Ints:
        """Column of ``block`` (0 b, 1 s, 2 x, 3 d) for bars ``t`` (>= 1) and ``asset``."""
        columns: Ints = (t - 1) * self.width + block * self.n + asset
        return columns

    def scalar(self, t: Ints, offset: int) -> Ints:
        """Column of c (0), e (1) or w (2) at bars ``t``."""
        columns: Ints = (t - 1) * self.width + 4 * self.n + offset
        return columns

    def build(self) -> tuple[Matrix, Matrix, Matrix, _Rows]:
        """Costs, column bounds and rows of the whole LP."""
        cost, lower, upper = self._columns()
        self._asset_rows()
        self._cash_rows()
        if self.p.free_start:
            self._start_rows(upper)
        self._total_rows()
        self._band_rows()
        return cost, lower, upper, self.rows

    def _columns(self) -> tuple[Matrix, Matrix, Matrix]:
        tt, aa, t = self.tt, self.aa, self.t
        ht, ft = self.h[tt, aa], self.f[tt, aa]
        cost = np.zeros(self.size)
        lower = np.zeros(self.size)
        upper = np.full(self.size, np.inf)
        cost[self.var(tt, 0, aa)] = ht + ft
        cost[self.var(tt, 1, aa)] = ht + ft - ht * ft
        cost[self.var(tt, 3, aa)] = 1.0
        cost[self.scalar(t, 1)] = 1.0
        closed = ~self.p.tradable[tt, aa]
        upper[self.var(tt, 0, aa)[closed]] = 0.0
        upper[self.var(tt, 1, aa)[closed]] = 0.0
        upper[self.var(tt, 2, aa)] = self.p.cap[tt, aa]
        lower[self.scalar(t, 2)] = -np.inf
        return cost, lower, upper

    def _asset_rows(self) -> None:
        """x[t] - r x[t-1] - (1-f) b + s + d = 0; at t = 1, x[0] is a constant or free."""
        tt, aa, p = self.tt, self.aa, self.p
        prices = np.nan_to_num(p.prices, nan=0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(prices[:-1] > 0, prices[1:] / prices[:-1], 0.0)
        r = ratio[tt - 1, aa]
        first = tt == 1
        later = ~first
        ones = np.ones(len(tt))
        terms = [
            (self.var(tt, 2, aa), ones),
            (self.var(tt, 0, aa), -(1 - self.f[tt, aa])),
            (self.var(tt, 1, aa), ones),
            (self.var(tt, 3, aa), ones),
            (self.var(np.maximum(tt - 1, 1), 2, aa), np.where(later, -r, 0.0)),
        ]
        if p.free_start:
            terms.append((self.first + aa, np.where(first, -r, 0.0)))
            rhs = np.zeros(len(tt))
        else:
            rhs = np.where(first, r * (p.start_units * prices[0])[aa], 0.0)
        self.rows.add(terms, rhs, rhs)

    def _cash_rows(self) -> None:
        """c[t] - c[t-1] + Σ (1+h) b - Σ (1-h)(1-f) s + e = flow; c[0] constant or free."""
        t, p, h, f = self.t, self.p, self.h, self.f
        steps = len(t)
        terms = [
            (self.scalar(t, 0), np.ones(steps)),
            (self.scalar(np.maximum(t - 1, 1), 0), np.where(t > 1, -1.0, 0.0)),
            (self.scalar(t, 1), np.ones(steps)),
        ]
        for asset in range(self.n):
            terms.append((self.var(t, 0, asset), 1 + h[t, asset]))
            terms.append((self.var(t, 1, asset), -(1 - h[t, asset]) * (1 - f[t, asset])))
        flows = p.flows[t].astype(np.float64)
        if p.free_start:
            terms.append((np.full(steps, self.first + self.n), np.where(t == 1, -1.0, 0.0)))
        else:
            flows = flows + np.where(t == 1, p.start_cash, 0.0)
        self.rows.add(terms, flows, flows)

    def _start_rows(self, upper: Matrix) -> None:
        """A free start: any mix of the given total, assets only where they may be held."""
        starts = self.first + np.arange(self.n + 1, dtype=np.int64)
        upper[starts[: self.n]] = self.p.cap[0]
        total = np.array([self.p.start_cash])
        self.rows.add([(starts[k : k + 1], np.ones(1)) for k in range(self.n + 1)], total, total)

    def _total_rows(self) -> None:
        """w - Σ x - c = 0."""
        t = self.t
        steps = len(t)
        terms = [(self.scalar(t, 2), np.ones(steps)), (self.scalar(t, 0), -np.ones(steps))]
        terms += [(self.var(t, 2, asset), -np.ones(steps)) for asset in range(self.n)]
        self.rows.add(terms, np.zeros(steps), np.zeros(steps))

    def _band_rows(self) -> None:
        """At the banded bars: x - lower w >= 0 and x - upper w <= 0 (cash is column n)."""
        p = self.p
        banded = self.t[p.banded[1:]]
        count = len(banded)
        total = self.scalar(banded, 2)
        ones = np.ones(count)
        for column in range(self.n + 1):
            held = self.scalar(banded, 0) if column == self.n else self.var(banded, 2, column)
            low, high = p.lower[banded, column], p.upper[banded, column]
            self.rows.add([(held, ones), (total, -low)], np.zeros(count), np.full(count, np.inf))
            self.rows.add([(held, ones), (total, -high)], np.full(count, -np.inf), np.zeros(count))
