"""Property: weights load exactly as written, and only when they sum to exactly 100."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.settings.conftest import variant

from rebalancer.domain.errors import ConfigError
from rebalancer.settings import load_config

WEIGHTS = 'BTC = "40"\nETH = "30"\nSOL = "10"\nUSDT = "20"'
BAND = 'per_asset = { SOL = "8" }'
hundredths = st.integers(min_value=0, max_value=10_000)


def weights_toml(values: list[Decimal], as_numbers: bool) -> str:
    assets = ["BTC", "ETH", "SOL", "USDT"]
    quote = '"{}"' if not as_numbers else "{}"
    return "\n".join(f"{a} = {quote.format(v)}" for a, v in zip(assets, values, strict=True))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parts=st.lists(hundredths, min_size=3, max_size=3).filter(lambda p: sum(p) <= 10_000),
    as_numbers=st.booleans(),
)
def test_weights_summing_to_100_load_exactly(
    tmp_path: Path, parts: list[int], as_numbers: bool
) -> None:
    values = [Decimal(p) / 100 for p in parts]
    values.append(Decimal(100) - sum(values, Decimal(0)))
    path = tmp_path / "weights.toml"
    path.write_text(variant({WEIGHTS: weights_toml(values, as_numbers), BAND: ""}), "utf-8")
    weights = load_config(path, env={}).policy("core").weights
    assert [weights[a] for a in ("BTC", "ETH", "SOL", "USDT")] == values
    assert sum(weights.values(), Decimal(0)) == 100


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(hundredths, min_size=4, max_size=4).filter(lambda p: sum(p) != 10_000))
def test_weights_not_summing_to_100_are_refused_with_their_total(
    tmp_path: Path, parts: list[int]
) -> None:
    values = [Decimal(p) / 100 for p in parts]
    path = tmp_path / "weights.toml"
    path.write_text(variant({WEIGHTS: weights_toml(values, False), BAND: ""}), "utf-8")
    try:
        load_config(path, env={})
    except ConfigError as error:
        [problem] = error.problems
        assert problem.location == "portfolios.core.weights"
        prefix = "must sum to exactly 100, got "
        assert problem.message.startswith(prefix)
        assert Decimal(problem.message.removeprefix(prefix)) == sum(values, Decimal(0))
    else:
        raise AssertionError("weights not summing to 100 were accepted")
