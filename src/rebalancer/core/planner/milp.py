"""A small mixed-integer linear model and its solution by HiGHS (``highspy``).

The model is collected row by row in plain lists and handed to HiGHS in one call, which is
much faster than adding rows through the solver's API one at a time. HiGHS prints nothing
(``output_flag`` off), stops at ``time_limit_s`` and accepts a relative MIP gap. A solve that
hits the time limit returns its best incumbent, which can depend on machine load: the limit is
a safety net set well above the measured solve times, not the normal way out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

INF = float("inf")


def load_solver() -> None:
    """Import HiGHS and numpy now (a third of a second), not in the first plan.

    Commands that never plan do not pay for them; the daemon calls this at start-up so the
    first breach it acts on is not slowed by it.
    """
    import highspy  # noqa: F401
    import numpy  # noqa: F401


@dataclass(frozen=True, slots=True)
class Solution:
    """Variable values and how the solve ended."""

    values: tuple[float, ...]
    objective: float
    status: str
    mip_gap: float

    def __getitem__(self, index: int) -> float:
        return self.values[index]


@dataclass(slots=True)
class LinearModel:
    """Variables with costs and bounds, rows with bounds; minimised."""

    cost: list[float] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    row_start: list[int] = field(default_factory=lambda: [0])
    row_index: list[int] = field(default_factory=list)
    row_value: list[float] = field(default_factory=list)
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)

    def add_var(
        self, cost: float = 0.0, upper: float = INF, *, integer: bool = False, lower: float = 0.0
    ) -> int:
        """Add a variable and return its index."""
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.cost) - 1

    def add_row(self, terms: Mapping[int, float], lower: float = -INF, upper: float = INF) -> None:
        """Add ``lower <= Σ coef·var <= upper`` (terms with a zero coefficient are skipped)."""
        for index in sorted(terms):
            coef = terms[index]
            if coef != 0.0:
                self.row_index.append(index)
                self.row_value.append(coef)
        self.row_start.append(len(self.row_index))
        self.row_lower.append(lower)
        self.row_upper.append(upper)

    @property
    def num_vars(self) -> int:
        """How many variables the model has."""
        return len(self.cost)

    def solve(self, *, time_limit_s: float, mip_rel_gap: float, relax: bool = False) -> Solution:
        """Minimise with HiGHS; the best solution found within the time limit is returned.

        ``relax`` solves the LP relaxation (integrality dropped).
        """
        import highspy  # imported here: only planning pays for loading the solver
        import numpy as np

        highs = highspy.Highs()  # type: ignore[no-untyped-call]
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("time_limit", float(time_limit_s))
        highs.setOptionValue("mip_rel_gap", float(mip_rel_gap))
        # Presolve's probing costs more than it saves on these small models (measured: the
        # 21-asset, 5-venue median drops from 1.4 s to 0.11 s with the same optima).
        highs.setOptionValue("presolve", "off")
        lp = highspy.HighsLp()
        lp.num_col_ = self.num_vars
        lp.num_row_ = len(self.row_lower)
        lp.col_cost_ = np.array(self.cost, dtype=np.float64)
        lp.col_lower_ = np.array(self.lower, dtype=np.float64)
        infinite = highspy.kHighsInf  # a module attribute: read once, not once per bound
        lp.col_upper_ = np.minimum(np.array(self.upper, dtype=np.float64), infinite)
        lp.row_lower_ = np.maximum(np.array(self.row_lower, dtype=np.float64), -infinite)
        lp.row_upper_ = np.minimum(np.array(self.row_upper, dtype=np.float64), infinite)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(self.row_start, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(self.row_index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(self.row_value, dtype=np.float64)
        mixed = any(self.integer) and not relax
        if mixed:
            whole, real = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
            lp.integrality_ = [whole if i else real for i in self.integer]
        highs.passModel(lp)
        highs.run()
        status = highs.modelStatusToString(highs.getModelStatus())
        info = highs.getInfo()
        values = tuple(highs.getSolution().col_value)
        gap = float(info.mip_gap) if mixed else 0.0
        return Solution(values, float(info.objective_function_value), status, gap)
