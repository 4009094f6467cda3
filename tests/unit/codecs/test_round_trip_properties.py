from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from rebalancer.codecs.plan_json import display_weight, dump_plan, parse_plan
from rebalancer.codecs.snapshot_json import dump_snapshot, parse_snapshot
from rebalancer.domain.market import Market, OrderSide
from rebalancer.domain.plan import Plan, PlannedOrder, PlannedTransfer, Residual, RunType
from rebalancer.domain.quotes import Quote
from rebalancer.domain.snapshot import InTransit, ListedMarket, Route, Snapshot, VenueSnapshot

D = Decimal
assets = st.sampled_from(["BTC", "ETH", "SOL", "USDT", "DOGE"])
venue_names = st.sampled_from(["binance", "okx", "kraken"])
amounts = st.decimals(min_value=0, max_value=10**9, places=8, allow_nan=False)
positive = st.decimals(min_value=D("0.00000001"), max_value=10**7, places=8, allow_nan=False)
fees = st.decimals(min_value=0, max_value=D("0.01"), places=5)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def listed_markets(draw: st.DrawFn, base: str) -> ListedMarket:
    bid = draw(positive)
    ask = bid + draw(amounts.filter(lambda a: a < 10**6))
    steps = [draw(st.sampled_from([D("0"), D("0.00001"), D("0.01"), D("1")])) for _ in range(4)]
    rules = Market(f"{base}/USDT", base, "USDT", *steps, draw(fees))
    return ListedMarket(rules, Quote(bid, ask))


@st.composite
def snapshots(draw: st.DrawFn) -> Snapshot:
    names = draw(st.lists(venue_names, min_size=2, max_size=3, unique=True))
    venues = {}
    for name in names:
        balances = draw(st.dictionaries(assets, amounts, max_size=4))
        bases = draw(st.lists(assets.filter(lambda a: a != "USDT"), max_size=3, unique=True))
        markets = {f"{base}/USDT": draw(listed_markets(base)) for base in bases}
        venues[name] = VenueSnapshot(balances, markets)
    pairs = st.permutations(names).map(lambda p: (p[0], p[1]))
    routes = draw(
        st.lists(
            st.builds(
                lambda a, pair, fee, minimum, eta: Route(a, "NET", *pair, fee, minimum, eta),
                assets,
                pairs,
                amounts,
                amounts,
                st.integers(0, 86400),
            ),
            max_size=3,
        )
    )
    transit = draw(
        st.lists(
            st.builds(lambda a, pair, amt: InTransit(a, *pair, amt), assets, pairs, amounts),
            max_size=2,
        )
    )
    taken_at = draw(moments)
    return Snapshot(taken_at, venues, tuple(routes), tuple(transit))


@given(snapshot=snapshots())
def test_snapshot_round_trips_through_json(snapshot: Snapshot) -> None:
    text = dump_snapshot(snapshot)
    again = parse_snapshot(text)
    assert again == snapshot
    assert dump_snapshot(again) == text


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    # Nodes are o1.., t1..; each may depend on any node drawn before it, as the planner's DAG does.
    earlier: list[str] = []

    def dependencies() -> tuple[str, ...]:
        return tuple(draw(st.lists(st.sampled_from(earlier), unique=True))) if earlier else ()

    orders = []
    for index in range(draw(st.integers(0, 4))):
        side, amount, price = draw(st.sampled_from(list(OrderSide))), draw(positive), draw(positive)
        venue = draw(venue_names)
        orders.append(
            PlannedOrder(f"o{index + 1}", venue, "BTC/USDT", side, amount, price, dependencies())
        )
        earlier.append(orders[-1].id)
    transfers = []
    for index in range(draw(st.integers(0, 2))):
        source, destination = draw(venue_names), draw(venue_names)
        asset, amount = draw(assets), draw(positive)
        transfers.append(
            PlannedTransfer(
                f"t{index + 1}", asset, "TRC20", source, destination, amount, dependencies()
            )
        )
        earlier.append(transfers[-1].id)
    weights = st.dictionaries(assets, st.decimals(min_value=0, max_value=100, places=6), max_size=5)
    residuals = st.lists(
        st.builds(Residual, assets, venue_names, st.text(max_size=20), amounts), max_size=3
    )
    return Plan(
        portfolio=draw(st.sampled_from(["core", "alt"])),
        run_type=draw(st.sampled_from(list(RunType))),
        orders=tuple(orders),
        transfers=tuple(transfers),
        estimated_cost=draw(amounts),
        weights_before=draw(weights),
        weights_after=draw(weights),
        residuals=tuple(draw(residuals)),
    )


@given(plan=plans())
def test_plan_round_trips_except_for_display_rounding_of_weights(plan: Plan) -> None:
    text = dump_plan(plan)
    again = parse_plan(text)
    assert again.orders == plan.orders
    assert again.transfers == plan.transfers
    assert again.residuals == plan.residuals
    assert again.estimated_cost == plan.estimated_cost
    assert (again.portfolio, again.run_type) == (plan.portfolio, plan.run_type)
    for asset, weight in plan.weights_after.items():
        assert abs(again.weights_after[asset] - weight) <= D("0.005")
        assert display_weight(again.weights_after[asset]) == display_weight(weight)
    assert dump_plan(again) == text


@given(moment=moments, offset_minutes=st.integers(-12 * 60, 14 * 60))
def test_snapshot_time_is_kept_as_the_same_instant_in_any_zone(
    moment: datetime, offset_minutes: int
) -> None:
    from datetime import timezone

    local = moment.astimezone(timezone(timedelta(minutes=offset_minutes)))
    snapshot = Snapshot(local, {"binance": VenueSnapshot({}, {})})
    again = parse_snapshot(dump_snapshot(snapshot))
    assert again.taken_at == moment
    assert dump_snapshot(again).count("Z") >= 1
