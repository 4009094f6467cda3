"""Venue tables and transfer routes: what they accept, what they refuse, what they become."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.unit.settings.conftest import Load, Problems

from rebalancer.domain.snapshot import Route

ROUTE = """
[[routes]]
asset = "USDT"
network = "TRC20"
from = "binance"
to = "okx"
fee = "1"
min_amount = "10"
eta_s = 300
"""


def test_routes_become_snapshot_routes_in_file_order(load: Load) -> None:
    back = ROUTE.replace('from = "binance"\nto = "okx"', 'from = "okx"\nto = "binance"')
    config = load(extra=ROUTE + back)
    assert config.routes_for_snapshot() == (
        Route("USDT", "TRC20", "binance", "okx", Decimal("1"), Decimal("10"), 300),
        Route("USDT", "TRC20", "okx", "binance", Decimal("1"), Decimal("10"), 300),
    )


def test_a_route_to_an_unknown_venue_is_refused(problems: Problems) -> None:
    found = problems(extra=ROUTE.replace('to = "okx"', 'to = "kraken"'))
    assert found == [
        'FILE: routes[0].to: "kraken" is not a [venues.*] table (venues: binance, okx)'
    ]


def test_a_route_back_to_its_own_venue_is_refused(problems: Problems) -> None:
    found = problems(extra=ROUTE.replace('to = "okx"', 'to = "binance"'))
    assert found == ["FILE: routes[0].to: a route leads to another venue, not back to binance"]


def test_a_repeated_route_is_refused(problems: Problems) -> None:
    found = problems(extra=ROUTE + ROUTE)
    assert found == ["FILE: routes[1]: repeats routes[0] (same asset, network, from, to)"]


def test_route_fields_are_checked(problems: Problems) -> None:
    bad = ROUTE.replace('fee = "1"', 'fee = "-1"').replace("eta_s = 300", "eta_s = 1.5")
    found = problems(extra=bad.replace('network = "TRC20"\n', ""))
    assert found == [
        "FILE: routes[0].eta_s: expected a whole number, got 1.5",
        'FILE: routes[0].fee: expected greater than or equal to 0, got "-1"',
        "FILE: routes[0].network: is required",
    ]


def test_venue_needs_an_exchange_id(problems: Problems) -> None:
    found = problems({'exchange = "okx"': 'exchange = "OKX Global"'})
    assert found == [
        "FILE: venues.okx.exchange: expected a ccxt exchange id such as 'binance' or 'okx', "
        "got 'OKX Global'"
    ]


def test_venue_names_are_lower_case_identifiers(problems: Problems) -> None:
    found = problems(extra='[venues.Kraken]\nexchange = "kraken"\n')
    assert found == [
        "FILE: venues.Kraken: expected a lower-case name of letters, digits and single "
        "underscores (environment variables address it in lower case), got 'Kraken'"
    ]


def test_venue_options_and_urls_are_kept_as_plain_values(load: Load) -> None:
    extra = (
        '[venues.binance.options]\nrecvWindow = 10000\nratio = 0.5\ndefaultType = "spot"\n'
        '[venues.binance.urls.api]\npublic = "http://127.0.0.1:9000/api/v3"\n'
    )
    venue = load(extra=extra).venues["binance"]
    assert venue.options == {"recvWindow": 10000, "ratio": 0.5, "defaultType": "spot"}
    assert venue.urls == {"api": {"public": "http://127.0.0.1:9000/api/v3"}}


def test_deposit_addresses_are_per_asset_and_network(load: Load) -> None:
    venue = load(extra='[venues.okx.deposit_addresses.USDT]\nTRC20 = "TXYZ"\n').venues["okx"]
    assert venue.deposit_addresses == {"USDT": {"TRC20": "TXYZ"}}


def test_a_simulated_venue_cannot_also_name_a_simulator_connection(problems: Problems) -> None:
    found = problems(
        {'exchange = "okx"': 'exchange = "okx"\nsimulated = true\nsim_connection = "sim.json"'}
    )
    assert found == [
        "FILE: venues.okx.sim_connection: a simulated venue runs in process; sim_connection "
        "points ccxt at an external simulator: set one or the other"
    ]


def test_sim_connection_is_relative_to_the_config_file(load: Load, tmp_path: Path) -> None:
    venue = load({'exchange = "okx"': 'exchange = "okx"\nsim_connection = "sim/okx.json"'})
    assert venue.venues["okx"].sim_connection == tmp_path / "sim" / "okx.json"


def test_toml_dates_in_ccxt_settings_become_text(load: Load) -> None:
    venue = load(extra="[venues.okx.options]\nsince = 2024-01-01\n").venues["okx"]
    assert venue.options == {"since": "2024-01-01"}
