import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebalancer.core.client_ids import (
    CLIENT_ID_PREFIX,
    ClientOrderRef,
    is_ours,
    make_client_order_id,
    parse_client_order_id,
)
from rebalancer.domain.errors import InvalidValue

alnum = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    min_size=1,
    max_size=12,
)


def test_same_run_node_attempt_gives_the_same_id() -> None:
    assert make_client_order_id("42", "o1", 0) == make_client_order_id(42, "o1", 0)


def test_new_attempt_gives_a_new_id() -> None:
    assert make_client_order_id("42", "o1", 0) != make_client_order_id("42", "o1", 1)


def test_id_parses_back_to_run_node_and_attempt() -> None:
    cid = make_client_order_id("r7x", "o12", 37)
    assert parse_client_order_id(cid) == ClientOrderRef("r7x", "o12", 37)


def test_ids_fit_okx_clordid_rules() -> None:
    cid = make_client_order_id("abcdefghij", "o123", 1000)
    assert cid.isalnum()
    assert len(cid) <= 32
    assert cid.startswith(CLIENT_ID_PREFIX)


def test_separator_characters_in_node_id_are_refused_naming_the_field() -> None:
    with pytest.raises(InvalidValue, match="node_id"):
        make_client_order_id("42", "o-1", 0)


def test_id_longer_than_32_characters_is_refused() -> None:
    with pytest.raises(InvalidValue, match="client_order_id"):
        make_client_order_id("a" * 20, "b" * 20, 0)


def test_negative_attempt_is_refused() -> None:
    with pytest.raises(InvalidValue, match="attempt"):
        make_client_order_id("42", "o1", -1)


@pytest.mark.parametrize(
    "foreign",
    ["x-123", "web_1699999", "rb", "rb0", "rb2422o1", "rb2422o1-", "rb2422o101", "RB2422o11", ""],
)
def test_foreign_or_malformed_ids_are_not_ours(foreign: str) -> None:
    assert parse_client_order_id(foreign) is None
    assert not is_ours(foreign)


@given(run=alnum, node=alnum, attempt=st.integers(min_value=0, max_value=10**6))
def test_every_valid_id_round_trips(run: str, node: str, attempt: int) -> None:
    try:
        cid = make_client_order_id(run, node, attempt)
    except InvalidValue:
        return  # too long for 32 characters: refused, never truncated
    assert len(cid) <= 32
    assert cid.isalnum()
    assert parse_client_order_id(cid) == ClientOrderRef(run, node, attempt)


@given(
    a=st.tuples(alnum, alnum, st.integers(0, 5000)),
    b=st.tuples(alnum, alnum, st.integers(0, 5000)),
)
def test_different_orders_never_share_an_id(
    a: tuple[str, str, int], b: tuple[str, str, int]
) -> None:
    try:
        first, second = make_client_order_id(*a), make_client_order_id(*b)
    except InvalidValue:
        return
    assert (first == second) == (a == b)
