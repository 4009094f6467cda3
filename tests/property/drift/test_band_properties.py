from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from rebalancer.core.drift import band_edges, is_outside, measure_drift
from rebalancer.core.valuation import Valuation
from rebalancer.domain.policy import BandType, DriftBand, Policy

D = Decimal
percents = st.decimals(min_value=0, max_value=100, places=2)
band_percents = st.decimals(min_value=0, max_value=200, places=2)
band_types = st.sampled_from(list(BandType))


def two_asset_policy(target: Decimal, band: DriftBand | None) -> Policy:
    weights = {"BTC": target, "USDT": 100 - target}
    return Policy("p", "USDT", ("v",), weights, drift_band=band)


def valuation_at(weight: Decimal) -> Valuation:
    values = {"BTC": weight, "USDT": 100 - weight}
    return Valuation("USDT", values, {"BTC": D(1), "USDT": D(1)}, values, D(100))


@given(target=percents, percent=band_percents, kind=band_types)
def test_band_edges_contain_the_target_and_stay_within_0_and_100(
    target: Decimal, percent: Decimal, kind: BandType
) -> None:
    lower, upper = band_edges(two_asset_policy(target, DriftBand(kind, percent)), "BTC")
    assert D(0) <= lower <= target <= upper <= D(100)


@given(target=percents, weight=percents, percent=band_percents, kind=band_types)
def test_an_asset_breaches_exactly_when_its_weight_is_outside_its_edges(
    target: Decimal, weight: Decimal, percent: Decimal, kind: BandType
) -> None:
    policy = two_asset_policy(target, DriftBand(kind, percent))
    item = measure_drift(valuation_at(weight), policy).for_asset("BTC")
    assert item.breached == is_outside(weight, (item.lower, item.upper))
    distance = abs(weight - target)
    limit = percent if kind is BandType.ABSOLUTE else target * percent / 100
    unbanded = kind is BandType.RELATIVE and target == 0  # relative drift from 0: no band
    assert item.breached == (distance > limit and not unbanded)


@given(target=percents, weight=percents, narrow=band_percents, extra=band_percents)
def test_a_wider_band_never_breaches_where_a_narrower_one_does_not(
    target: Decimal, weight: Decimal, narrow: Decimal, extra: Decimal
) -> None:
    def breached(percent: Decimal) -> bool:
        policy = two_asset_policy(target, DriftBand(BandType.ABSOLUTE, percent))
        return measure_drift(valuation_at(weight), policy).for_asset("BTC").breached

    if breached(narrow + extra):
        assert breached(narrow)


@given(target=percents, weight=percents)
def test_a_portfolio_without_a_band_never_breaches(target: Decimal, weight: Decimal) -> None:
    report = measure_drift(valuation_at(weight), two_asset_policy(target, None))
    assert report.breached == ()
    assert report.for_asset("BTC").drift == weight - target


@given(target=percents, weight=percents, percent=band_percents)
def test_drift_is_symmetric_in_an_absolute_band(
    target: Decimal, weight: Decimal, percent: Decimal
) -> None:
    # Mirroring the weight around the target keeps the breach verdict when neither edge clamps.
    mirrored = 2 * target - weight
    lower, upper = target - percent, target + percent
    if D(0) <= mirrored <= D(100) and lower >= 0 and upper <= 100:
        policy = two_asset_policy(target, DriftBand(BandType.ABSOLUTE, percent))
        one = measure_drift(valuation_at(weight), policy).for_asset("BTC").breached
        other = measure_drift(valuation_at(mirrored), policy).for_asset("BTC").breached
        assert one == other
