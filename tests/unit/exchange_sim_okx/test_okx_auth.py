"""OKX request signing: what the simulator accepts and which code it refuses with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rebalancer.exchange_sim.okx.auth import (
    OkxCredentials,
    iso_now,
    sign,
    verify_rest,
    verify_ws_login,
)
from rebalancer.exchange_sim.okx.errors import OkxRejection

NOW = datetime(2024, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
CREDS = OkxCredentials(api_key="k1", secret="s3cret", passphrase="pass", account="alice")


def lookup(key: str) -> OkxCredentials | None:
    return CREDS if key == CREDS.api_key else None


def signed_headers(method: str, path: str, body: str = "", *, at: datetime = NOW) -> dict[str, str]:
    stamp = iso_now(at)
    return {
        "OK-ACCESS-KEY": "k1",
        "OK-ACCESS-PASSPHRASE": "pass",
        "OK-ACCESS-TIMESTAMP": stamp,
        "OK-ACCESS-SIGN": sign("s3cret", stamp + method + path + body),
    }


def test_known_vector_matches_base64_hmac_sha256() -> None:
    # Computed independently: base64(HMAC-SHA256("key", "message")).
    assert sign("key", "message") == "bp7ym3X//Ft6uuUn1Y/a2y/kLnIZARl2kXNDBl9Y7Uo="


def test_timestamp_is_iso_with_milliseconds() -> None:
    assert iso_now(NOW) == "2024-03-01T12:00:00.250Z"


def test_correctly_signed_get_returns_the_account() -> None:
    path = "/api/v5/account/balance?ccy=BTC"
    creds = verify_rest(signed_headers("GET", path), "GET", path, "", lookup=lookup, now=NOW)
    assert creds.account == "alice"


def test_body_is_part_of_the_signature() -> None:
    path, body = "/api/v5/trade/order", '{"instId":"BTC-USDT"}'
    headers = signed_headers("POST", path, body)
    verify_rest(headers, "POST", path, body, lookup=lookup, now=NOW)
    with pytest.raises(OkxRejection) as caught:
        verify_rest(headers, "POST", path, body.replace("BTC", "ETH"), lookup=lookup, now=NOW)
    assert (caught.value.code, caught.value.http_status) == ("50113", 401)


@pytest.mark.parametrize(
    ("header", "value", "code"),
    [
        ("OK-ACCESS-KEY", "", "50103"),
        ("OK-ACCESS-KEY", "other", "50111"),
        ("OK-ACCESS-PASSPHRASE", "wrong", "50105"),
        ("OK-ACCESS-TIMESTAMP", "yesterday", "50112"),
        ("OK-ACCESS-SIGN", "AAAA", "50113"),
    ],
)
def test_bad_header_is_refused_with_okx_code(header: str, value: str, code: str) -> None:
    path = "/api/v5/account/balance"
    headers = signed_headers("GET", path) | {header: value}
    with pytest.raises(OkxRejection) as caught:
        verify_rest(headers, "GET", path, "", lookup=lookup, now=NOW)
    assert caught.value.code == code


def test_request_older_than_the_skew_window_is_expired() -> None:
    path = "/api/v5/account/balance"
    headers = signed_headers("GET", path, at=NOW - timedelta(seconds=31))
    with pytest.raises(OkxRejection) as caught:
        verify_rest(headers, "GET", path, "", lookup=lookup, now=NOW)
    assert caught.value.code == "50102"


def test_ws_login_accepts_seconds_timestamp_signature() -> None:
    stamp = str(int(NOW.timestamp()))
    arg = {
        "apiKey": "k1",
        "passphrase": "pass",
        "timestamp": stamp,
        "sign": sign("s3cret", stamp + "GET/users/self/verify"),
    }
    assert verify_ws_login(arg, lookup, NOW).account == "alice"


def test_ws_login_with_wrong_secret_fails_with_60009() -> None:
    stamp = str(int(NOW.timestamp()))
    arg = {
        "apiKey": "k1",
        "passphrase": "pass",
        "timestamp": stamp,
        "sign": sign("nope", stamp + "GET/users/self/verify"),
    }
    with pytest.raises(OkxRejection) as caught:
        verify_ws_login(arg, lookup, NOW)
    assert caught.value.code == "60009"


def test_credentials_repr_hides_secret_and_passphrase() -> None:
    assert "s3cret" not in repr(CREDS)
    assert "pass'" not in repr(CREDS)
