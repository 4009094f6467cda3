"""Withdrawal client ids: made from (run, node, round), read back from venue payloads, and a
refusal of a reused one mapped to "ambiguous" so it is settled by lookup, never as a rejection.
"""

from __future__ import annotations

import string
from typing import Any

import ccxt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebalancer.core.client_ids import (
    CLIENT_ID_PREFIX,
    ClientOrderRef,
    make_transfer_client_id,
    parse_client_order_id,
)
from rebalancer.domain.errors import AmbiguousOrderOutcome, InvalidValue, OrderRejected, VenueError
from rebalancer.venues.ccxt.errors import Operation, map_error
from rebalancer.venues.ccxt.parse import parse_transfer

ALNUM = string.ascii_letters + string.digits


@given(
    run=st.text(ALNUM, min_size=1, max_size=12),
    node=st.text(ALNUM, min_size=1, max_size=8),
    round_no=st.integers(min_value=1, max_value=10_000),
)
def test_a_transfer_client_id_fits_both_venues_and_parses_back(
    run: str, node: str, round_no: int
) -> None:
    cid = make_transfer_client_id(run, node, round_no)
    assert cid.startswith(CLIENT_ID_PREFIX)
    assert len(cid) <= 32  # OKX clientId: 1-32 letters and digits
    assert cid.isascii()
    assert cid.isalnum()
    assert parse_client_order_id(cid) == ClientOrderRef(run, node, round_no)


def test_each_round_of_a_transfer_node_gets_its_own_client_id() -> None:
    assert make_transfer_client_id("42", "t1", 1) != make_transfer_client_id("42", "t1", 2)


def test_a_transfer_client_id_names_the_bad_field() -> None:
    with pytest.raises(InvalidValue, match="node_id"):
        make_transfer_client_id("42", "t-1", 1)


def binance_row(withdraw_order_id: str) -> dict[str, Any]:
    info = {
        "id": "W00000001",
        "amount": "250",
        "transactionFee": "1",
        "coin": "USDT",
        "status": 4,
        "withdrawOrderId": withdraw_order_id,
    }
    return {"info": info, "id": "W00000001", "currency": "USDT", "status": "pending"}


def okx_row(client_id: str) -> dict[str, Any]:
    info = {"wdId": "W00000002", "clientId": client_id, "ccy": "USDT", "amt": "250", "fee": "1"}
    return {"info": info, "id": "W00000002", "currency": "USDT", "status": "pending"}


@pytest.mark.parametrize("row", [binance_row("rb2422t11"), okx_row("rb2422t11")])
def test_the_client_id_is_read_back_from_the_raw_history_row(row: dict[str, Any]) -> None:
    report = parse_transfer("venue", row, "withdrawal")
    assert report.client_id == "rb2422t11"


@pytest.mark.parametrize("row", [binance_row(""), okx_row("")])
def test_a_withdrawal_made_without_a_client_id_has_none(row: dict[str, Any]) -> None:
    assert parse_transfer("venue", row, "withdrawal").client_id is None


@pytest.mark.parametrize(
    "error",
    [
        ccxt.ExchangeError('binance {"code":-4000,"msg":"Duplicate withdrawOrderId."}'),
        ccxt.InvalidOrder('okx {"code":"51016","msg":"Duplicated clientId"}'),
        ccxt.BadRequest("clientTranId is duplicated"),
    ],
)
def test_a_refused_reused_withdrawal_id_is_ambiguous_not_rejected(error: Exception) -> None:
    mapped = map_error("venue", Operation.WITHDRAW, error)
    assert type(mapped) is AmbiguousOrderOutcome
    on_read = map_error("venue", Operation.READ, error)
    assert type(on_read) is VenueError  # a read is never "ambiguous"


def test_a_withdrawal_refused_for_another_reason_is_still_rejected() -> None:
    error = ccxt.InsufficientFunds('{"code":-4026,"msg":"You have insufficient balance."}')
    assert type(map_error("venue", Operation.WITHDRAW, error)) is OrderRejected
