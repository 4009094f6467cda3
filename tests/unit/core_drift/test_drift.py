from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rebalancer.core.drift import band_edges, drift_of_snapshot, measure_drift
from rebalancer.core.valuation import Valuation
from rebalancer.domain.market import Market
from rebalancer.domain.policy import BandType, DriftBand, Policy
from rebalancer.domain.quotes import Quote
from rebalancer.domain.snapshot import ListedMarket, Snapshot, VenueSnapshot

D = Decimal
WEIGHTS = {"BTC": D("40"), "ETH": D("30"), "SOL": D("10"), "USDT": D("20")}


def policy(band: DriftBand | None, weights: dict[str, Decimal] = WEIGHTS) -> Policy:
    return Policy(name="core", quote="USDT", venues=("binance",), weights=weights, drift_band=band)


def valuation(values: dict[str, str]) -> Valuation:
    vals = {asset: D(v) for asset, v in values.items()}
    return Valuation("USDT", vals, dict.fromkeys(vals, D(1)), vals, sum(vals.values(), D(0)))


ABSOLUTE_5 = DriftBand(BandType.ABSOLUTE, D("5"), {"SOL": D("8")})


def test_absolute_band_edges_are_target_plus_minus_points() -> None:
    assert band_edges(policy(ABSOLUTE_5), "BTC") == (D("35"), D("45"))


def test_per_asset_override_widens_that_assets_band_only() -> None:
    assert band_edges(policy(ABSOLUTE_5), "SOL") == (D("2"), D("18"))
    assert band_edges(policy(ABSOLUTE_5), "ETH") == (D("25"), D("35"))


def test_relative_band_edges_are_percent_of_target() -> None:
    band = DriftBand(BandType.RELATIVE, D("25"))
    assert band_edges(policy(band), "BTC") == (D("30"), D("50"))
    assert band_edges(policy(band), "SOL") == (D("7.5"), D("12.5"))


def test_edges_are_clamped_to_zero_and_hundred() -> None:
    band = DriftBand(BandType.ABSOLUTE, D("30"))
    assert band_edges(policy(band), "SOL") == (D("0"), D("40"))
    assert band_edges(policy(band, {"BTC": D("90"), "USDT": D("10")}), "BTC") == (D("60"), D("100"))


def test_without_a_band_edges_collapse_onto_the_target() -> None:
    assert band_edges(policy(None), "ETH") == (D("30"), D("30"))


def test_absolute_breach_is_strictly_more_than_the_band() -> None:
    # BTC exactly on its upper edge (45 %) is inside; ETH at 36 % is 6 points over.
    report = measure_drift(
        valuation({"BTC": "45", "ETH": "36", "SOL": "10", "USDT": "9"}), policy(ABSOLUTE_5)
    )
    assert report.breached == ("ETH", "USDT")
    btc = report.for_asset("BTC")
    assert (btc.weight, btc.target, btc.drift, btc.breached) == (D("45"), D("40"), D("5"), False)
    assert report.for_asset("USDT").drift == D("-11")


def test_relative_breach_is_measured_against_the_target() -> None:
    # SOL target 10 with a 25 % relative band: 12.6 % breaches, 12.5 % would not.
    band = DriftBand(BandType.RELATIVE, D("25"))
    report = measure_drift(
        valuation({"BTC": "40", "ETH": "30", "SOL": "12.6", "USDT": "17.4"}), policy(band)
    )
    assert report.breached == ("SOL",)


def test_zero_target_has_no_relative_band_and_never_breaches() -> None:
    band = DriftBand(BandType.RELATIVE, D("50"))
    weights = {"BTC": D("60"), "DOGE": D("0"), "USDT": D("40")}
    report = measure_drift(
        valuation({"BTC": "50", "DOGE": "20", "USDT": "30"}), policy(band, weights)
    )
    assert report.breached == ()
    doge = report.for_asset("DOGE")
    assert (doge.lower, doge.upper) == (D(0), D(100))


def test_calendar_only_portfolio_never_breaches() -> None:
    report = measure_drift(valuation({"BTC": "90", "USDT": "10"}), policy(None))
    assert report.breached == ()
    assert not report.any_breached


def test_empty_portfolio_breaches_nothing() -> None:
    report = measure_drift(valuation({"BTC": "0", "USDT": "0"}), policy(ABSOLUTE_5))
    assert report.breached == ()
    assert report.total == 0


def test_unknown_asset_lookup_names_the_asset() -> None:
    report = measure_drift(valuation({"BTC": "40"}), policy(ABSOLUTE_5))
    with pytest.raises(KeyError, match="DOGE"):
        report.for_asset("DOGE")


def test_drift_of_snapshot_values_holdings_at_mids() -> None:
    market = Market(
        "BTC/USDT", "BTC", "USDT", D("0.00001"), D("0.00001"), D("5"), D("0.01"), D("0.001")
    )
    venue = VenueSnapshot(
        balances={"BTC": D("1"), "USDT": D("500")},
        markets={"BTC/USDT": ListedMarket(market, Quote(D("999"), D("1001")))},
    )
    snapshot = Snapshot(datetime(2024, 3, 1, tzinfo=UTC), {"binance": venue})
    weights = {"BTC": D("50"), "USDT": D("50")}
    report = drift_of_snapshot(snapshot, policy(ABSOLUTE_5, weights))
    assert report.total == D("1500")
    assert report.for_asset("BTC").weight.quantize(D("0.0001")) == D("66.6667")
    assert report.breached == ("BTC", "USDT")
