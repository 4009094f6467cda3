"""The control plane's Python API on a built (not yet listening) simulator."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.unit.exchange_sim.test_config import minimal

from rebalancer.domain.market import OrderSide
from rebalancer.exchange_sim.config import parse_config
from rebalancer.exchange_sim.engine import OrderKind, OrderState
from rebalancer.exchange_sim.faults import Fault
from rebalancer.exchange_sim.server import SimulatorServer

D = Decimal


@pytest.fixture
def server() -> SimulatorServer:
    raw = minimal(networks=[{"asset": "USDT", "network": "TRC20", "fee": "1", "min_amount": "10"}])
    raw["venues"]["main"]["accounts"][0]["balances"] = {"USDT": "1000", "BTC": "1"}
    return SimulatorServer(parse_config(raw))


def test_a_pinned_price_fills_a_resting_order_and_shows_in_the_log(
    server: SimulatorServer,
) -> None:
    venue = server.engine.venue("main")
    order = venue.place_order(
        "k", "BTC/USDT", OrderSide.SELL, OrderKind.LIMIT, amount=D("0.1"), price=D("61000")
    )
    server.control.set_price("BTC/USDT", D("62000"))
    server.engine.advance()  # a pinned price is not moved by the path
    assert venue.books["BTC/USDT"].mid == D("62000")
    assert order.state is OrderState.FILLED
    [logged] = server.control.order_log()
    assert (logged["state"], logged["trades"][0]["maker"]) == ("filled", True)


def test_reset_restores_the_starting_state(server: SimulatorServer) -> None:
    venue = server.engine.venue("main")
    venue.place_order("k", "BTC/USDT", OrderSide.BUY, OrderKind.MARKET, amount=D("0.01"))
    server.control.credit_deposit("main", "USDT", D("5"))
    server.control.set_price("BTC/USDT", D("1000"))
    server.control.inject_fault({"venue": "main", "path": "/api", "status": 500})
    server.control.silence("main", ["market"])
    server.control.reset()
    state = server.control.state()["venues"]["main"]
    assert state["accounts"]["k"] == {
        "BTC": {"free": "1", "locked": "0"},
        "USDT": {"free": "1000", "locked": "0"},
    }
    assert state["mids"] == {"BTC/USDT": "60000"}
    assert state["silent"] == []
    assert server.control.order_log() == []
    assert server.control.transfer_log() == {"withdrawals": [], "deposits": []}
    assert server.faults.faults == []


def test_control_refuses_unknown_names_clearly(server: SimulatorServer) -> None:
    with pytest.raises(ValueError, match="DOGE/USDT"):
        server.control.set_price("DOGE/USDT", D("1"))
    with pytest.raises(ValueError, match="streams"):
        server.control.silence("main", ["everything"])
    with pytest.raises(KeyError, match="nowhere"):
        server.control.inject_fault({"venue": "nowhere"})


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"path": "/x"}, "fault.venue"),
        ({"venue": "main", "count": "2"}, "fault.count"),
        ({"venue": "main", "colour": "red"}, "colour"),
    ],
)
def test_bad_faults_name_the_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        Fault.from_mapping(raw)


def test_the_connection_names_ccxt_urls_and_credentials(server: SimulatorServer) -> None:
    server.ports["main"] = 12345
    info = server.connection()["venues"]["main"]
    assert info["exchange"] == "binance"
    assert info["urls"]["api"]["private"] == "http://127.0.0.1:12345/api/v3"
    assert info["urls"]["api"]["ws"]["ws-api"]["spot"] == "ws://127.0.0.1:12345/ws-api/v3"
    assert info["urls"]["api"]["fapiPublic"].startswith("http://127.0.0.1:9/")
    assert (info["apiKey"], info["secret"], info["password"]) == ("k", "s", None)
    assert info["options"]["fetchMarkets"] == {"types": ["spot"]}


def test_a_debit_takes_cash_off_to_outside_and_says_what_is_left(
    server: SimulatorServer,
) -> None:
    left = server.control.debit("main", "USDT", D("400"))

    assert left == D("600")
    assert server.control.state()["venues"]["main"]["accounts"]["k"]["USDT"]["free"] == "600"
    assert server.control.transfer_log()["withdrawals"] == []  # by hand: no record of ours


def test_a_debit_beyond_the_free_balance_or_not_positive_is_refused(
    server: SimulatorServer,
) -> None:
    from rebalancer.exchange_sim.engine import Rejected

    with pytest.raises(Rejected):
        server.control.debit("main", "USDT", D("1000.01"))
    with pytest.raises(ValueError, match="amount"):
        server.control.debit("main", "USDT", D("0"))
    assert server.control.debit("main", "USDT", D("1000")) == D("0")
