"""ccxt's own tests, as shipped in the installed package, against the simulator.

One item per test file and protocol. The campaign (``campaign.py``) runs them all once, the
way ccxt's runner does (concurrently per exchange); each item reports its test's outcome
against its expectation in ``catalog.py``: pass, ccxt-declared unsupported, skipped for a
stated reason, or failing the way it fails against the real exchange too.
"""

from __future__ import annotations

import asyncio

import ccxt.pro as ccxtpro
import pytest
from tests.integration.ccxt_conformance.campaign import (
    CANCELED_ORDERS,
    PORT_SKIPS,
    PORTED_CREATE_ORDER,
    Outcome,
    Results,
    run_campaign,
)
from tests.integration.ccxt_conformance.catalog import (
    EXPECTATIONS,
    PROTOCOLS,
    CcxtTest,
    ExpectedFailure,
    Skip,
    Unsupported,
    discover,
    expectation,
    failure_matches,
)

# the campaign (about 50 s idle) runs in the first item's set-up: bounded, but generously
# one xdist worker runs the campaign once for every test here
pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.xdist_group("ccxt-conformance"),
]
TESTS = discover()
# methods whose ccxt test calls nothing on the exchange (they check ccxt's own tables)
NO_CALL = frozenset({"features", "afterConstruct"})


@pytest.fixture(scope="module")
def results() -> Results:
    """Run every test of both protocols once, against one simulator."""
    return asyncio.run(run_campaign())


def _params() -> list[object]:
    params = []
    for protocol in PROTOCOLS:
        for test in TESTS:
            expected = expectation(protocol, test.method)
            marks = [pytest.mark.skip(reason=expected.reason)] if isinstance(expected, Skip) else []
            params.append(
                pytest.param(
                    protocol, test, id=f"{protocol}-{test.suite}-{test.method}", marks=marks
                )
            )
    return params


def _raise(outcome: Outcome) -> None:
    assert outcome.error is not None
    pytest.fail(f"{type(outcome.error).__name__}: {outcome.error}\n{outcome.trace}", pytrace=False)


def _check_expected_failure(expected: ExpectedFailure, outcome: Outcome) -> None:
    if outcome.error is None:
        pytest.fail(f"expected to fail ({expected.reason}), but it passed: update catalog.py")
    if not failure_matches(expected, outcome.error):
        _raise(outcome)  # it failed, but not for the reason it fails against the exchange
    if expected.confirm and outcome.confirm_error is not None:
        pytest.fail(
            f"with ccxt's skip properties {sorted(expected.confirm)} it must pass, but: "
            f"{type(outcome.confirm_error).__name__}: {outcome.confirm_error}\n"
            f"{outcome.confirm_trace}",
            pytrace=False,
        )
    pytest.xfail(expected.reason)


@pytest.mark.parametrize(("protocol", "test"), _params())
def test_ccxt_test_against_the_simulator(protocol: str, test: CcxtTest, results: Results) -> None:
    expected = expectation(protocol, test.method)
    if isinstance(expected, Unsupported):
        has = getattr(ccxtpro, protocol)().has.get(test.method)
        assert not has, f"ccxt now declares has[{test.method!r}] = {has!r}: run it (catalog.py)"
        pytest.skip(f"ccxt's {protocol} declares has[{test.method!r}] = {has!r}; {expected.reason}")
    outcome = results.outcomes[(protocol, test.method)]
    if isinstance(expected, ExpectedFailure):
        _check_expected_failure(expected, outcome)
    if outcome.error is not None:
        _raise(outcome)
    if test.method not in NO_CALL:
        assert outcome.non_empty > 0, (
            f"{test.method} passed without getting any data to check "
            f"({outcome.calls} call(s)): the test proved nothing"
        )


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_ported_create_order(protocol: str, results: Results) -> None:
    """ccxt's createOrder scenarios (unfillable limit, fillable limit then market close)."""
    outcome = results.outcomes[(protocol, PORTED_CREATE_ORDER)]
    if PORT_SKIPS[protocol]:
        # OKX publishes no minimum cost: as shipped, the test stops at that lookup (it would
        # against real OKX); with the port's skip property it must then pass completely
        assert outcome.error is not None, "OKX has no minimum cost: the shipped lookup must fail"
        assert "can not determine minimum cost" in str(outcome.error), outcome.trace
        assert outcome.confirm_error is None, outcome.confirm_trace
    elif outcome.error is not None:
        _raise(outcome)
    assert outcome.non_empty >= 3, f"only {outcome.non_empty} order(s) were placed"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_canceled_orders_pass_ccxt_order_checks(protocol: str, results: Results) -> None:
    outcome = results.outcomes[(protocol, CANCELED_ORDERS)]
    if outcome.error is not None:
        _raise(outcome)
    assert outcome.non_empty > 0, "the seeded cancelled order was not listed"


def test_websocket_tests_had_a_live_market(results: Results) -> None:
    """The background trading the websocket tests watch ran without errors on both venues."""
    assert results.churn_errors == []
    assert all(results.churn_orders[p] >= 10 for p in PROTOCOLS), results.churn_orders


def test_no_test_left_127_0_0_1(results: Results) -> None:
    assert results.left_loopback == []


def test_every_listed_expectation_names_a_shipped_test() -> None:
    """A stale entry (a test ccxt no longer ships) would hide nothing, but would mislead."""
    shipped = {test.method for test in TESTS}
    stale = sorted(method for _, method in EXPECTATIONS if method not in shipped)
    assert stale == []
