"""The incremental drift monitor must say "breached" exactly when ``core.drift`` does."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rebalancer.core.drift import drift_of_snapshot
from rebalancer.core.drift_monitor import DriftMonitor
from rebalancer.domain.market import Market
from rebalancer.domain.policy import BandType, DriftBand, Policy
from rebalancer.domain.quotes import Quote
from rebalancer.domain.snapshot import InTransit, ListedMarket, Snapshot, VenueSnapshot

D = Decimal
VENUES = ("alpha", "beta")
COINS = ("BTC", "ETH", "SOL")
AT = datetime(2024, 3, 1, tzinfo=UTC)


def market(base: str, quote: str = "USDT") -> Market:
    return Market(
        f"{base}/{quote}", base, quote, D("0.0001"), D("0.0001"), D("1"), D("0.01"), D("0.001")
    )


def decimals(low: int, high: int, places: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: D(n).scaleb(-places))


def quotes() -> st.SearchStrategy[Quote]:
    # Zero and 1 % spreads are frequent so that two venues often tie on spread (name order wins).
    bids = st.one_of(decimals(1, 10**9, 4), st.sampled_from([D("10"), D("20"), D("30")]))
    return st.tuples(bids, st.sampled_from(["0", "0.01", "random"]), decimals(0, 10**6, 4)).map(
        lambda t: Quote(t[0], t[0] + (t[2] if t[1] == "random" else t[0] * D(t[1])))
    )


@st.composite
def portfolios(draw: st.DrawFn) -> tuple[Snapshot, Policy]:
    coins = draw(st.lists(st.integers(0, 33), min_size=3, max_size=3))
    weights = {coin: D(n) for coin, n in zip(COINS, coins, strict=True)} | {
        "USDT": D(100 - sum(coins))
    }
    band = draw(
        st.none()
        | st.builds(DriftBand, st.just(BandType.ABSOLUTE), decimals(0, 2000, 2))
        | st.builds(
            DriftBand,
            st.just(BandType.RELATIVE),
            decimals(0, 9000, 2),
            st.dictionaries(st.sampled_from(COINS), decimals(0, 9000, 2), max_size=2),
        )
    )
    policy_venues = draw(st.sampled_from([("alpha",), ("beta",), VENUES]))
    venues = {}
    for venue in VENUES:
        listed = draw(st.lists(st.sampled_from((*COINS, "DOGE")), unique=True))
        markets = {f"{c}/USDT": ListedMarket(market(c), draw(quotes())) for c in listed}
        markets["ETH/BTC"] = ListedMarket(market("ETH", "BTC"), Quote(D("0.05"), D("0.051")))
        balances = {a: draw(decimals(0, 10**11, 8)) for a in (*COINS, "USDT")}
        venues[venue] = VenueSnapshot(balances, markets)
    in_transit = tuple(
        InTransit(asset, "alpha", "beta", amount)
        for asset, amount in draw(
            st.lists(st.tuples(st.sampled_from(COINS), decimals(1, 10**9, 6)), max_size=2)
        )
    )
    reference = draw(st.dictionaries(st.sampled_from(COINS), decimals(1, 10**8, 2), max_size=1))
    snapshot = Snapshot(AT, venues, in_transit=in_transit, reference_prices=reference)
    policy = Policy("core", "USDT", policy_venues, weights, drift_band=band)
    return snapshot, policy


def with_quote(snapshot: Snapshot, venue: str, symbol: str, quote: Quote) -> Snapshot:
    state = snapshot.venues[venue]
    markets = dict(state.markets)
    markets[symbol] = ListedMarket(markets[symbol].rules, quote)
    venues = dict(snapshot.venues)
    venues[venue] = VenueSnapshot(state.balances, markets)
    return replace(snapshot, venues=venues)


updates = st.lists(
    st.tuples(st.sampled_from(VENUES), st.sampled_from((*COINS, "DOGE")), quotes()), max_size=12
)


@settings(max_examples=300, deadline=None)
@given(portfolios(), updates)
def test_monitor_agrees_with_drift_report_after_every_quote(
    portfolio: tuple[Snapshot, Policy], sequence: list[tuple[str, str, Quote]]
) -> None:
    snapshot, policy = portfolio
    monitor = DriftMonitor(snapshot, policy)
    expected = drift_of_snapshot(snapshot, policy)
    assert monitor.breached() == expected.any_breached
    assert monitor.total == expected.total
    for venue, coin, quote in sequence:
        symbol = f"{coin}/USDT"
        if symbol not in snapshot.venues[venue].markets:
            continue
        snapshot = with_quote(snapshot, venue, symbol, quote)
        expected = drift_of_snapshot(snapshot, policy)
        assert monitor.update_quote(venue, symbol, quote) == expected.any_breached
        assert monitor.total == expected.total


def two_asset_portfolio(btc_units: str, usdt: str = "500") -> tuple[Snapshot, Policy]:
    venue = VenueSnapshot(
        {"BTC": D(btc_units), "USDT": D(usdt)},
        {"BTC/USDT": ListedMarket(market("BTC"), Quote(D("999"), D("1001")))},
    )
    band = DriftBand(BandType.ABSOLUTE, D("5"))
    policy = Policy("core", "USDT", ("alpha",), {"BTC": D("50"), "USDT": D("50")}, drift_band=band)
    return Snapshot(AT, {"alpha": venue}), policy


def test_a_price_move_out_of_the_band_is_a_breach_and_back_in_is_not() -> None:
    monitor = DriftMonitor(*two_asset_portfolio("0.5"))  # 500 BTC + 500 USDT: on target
    assert not monitor.breached()
    assert monitor.update_mid("BTC", D("1500"))  # 750 / 1250 = 60 %: over 55 %
    assert not monitor.update_mid("BTC", D("1100"))  # 550 / 1050 = 52.4 %


def test_a_weight_exactly_on_the_band_edge_is_inside() -> None:
    monitor = DriftMonitor(*two_asset_portfolio("1", usdt="450"))
    assert not monitor.update_mid("BTC", D("550"))  # 550 / 1000 = 55 %: the upper edge itself
    assert monitor.update_mid("BTC", D("550.01"))


def test_quotes_of_other_markets_and_the_quote_asset_change_nothing() -> None:
    monitor = DriftMonitor(*two_asset_portfolio("0.5"))
    assert not monitor.update_quote("alpha", "ETH/USDT", Quote(D("1"), D("2")))
    assert not monitor.update_quote("beta", "BTC/USDT", Quote(D("9000"), D("9001")))
    assert not monitor.update_mid("USDT", D("3"))
    assert monitor.total == D("1000")
    assert not monitor.watches("beta", "BTC/USDT")
    assert monitor.watches("alpha", "BTC/USDT")


def test_a_calendar_only_portfolio_never_breaches() -> None:
    snapshot, policy = two_asset_portfolio("0.5")
    monitor = DriftMonitor(snapshot, replace(policy, drift_band=None))
    assert not monitor.update_mid("BTC", D("100000"))
