"""OKX v5 request signing, checked the way OKX checks it.

REST: ``OK-ACCESS-SIGN = base64(HMAC-SHA256(secret, timestamp + METHOD + path?query + body))``,
where the timestamp is the ISO-8601 ``OK-ACCESS-TIMESTAMP`` header and the path and query are the
raw bytes the client sent. Websocket login signs ``timestamp + "GET/users/self/verify"`` with the
timestamp in seconds. A request whose timestamp is more than ``MAX_SKEW_S`` from the server clock
is refused as expired (code 50102), which is what makes replayed requests fail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rebalancer.exchange_sim.okx import errors
from rebalancer.exchange_sim.okx.errors import OkxRejection

MAX_SKEW_S = 30.0
WS_LOGIN_PATH = "GET/users/self/verify"


@dataclass(frozen=True, slots=True)
class OkxCredentials:
    """One API key: its secret, its passphrase, and the simulator account it trades for."""

    api_key: str
    secret: str = field(repr=False)
    passphrase: str = field(repr=False)
    account: str


CredentialLookup = Callable[[str], OkxCredentials | None]


def sign(secret: str, prehash: str) -> str:
    """Return base64(HMAC-SHA256(secret, prehash)), OKX's signature format."""
    digest = hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def parse_timestamp(text: str) -> datetime:
    """Parse an ``OK-ACCESS-TIMESTAMP`` such as ``2024-03-01T00:00:00.123Z``."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise OkxRejection(errors.TIMESTAMP_INVALID) from None
    if parsed.tzinfo is None:
        raise OkxRejection(errors.TIMESTAMP_INVALID)
    return parsed


def verify_rest(
    headers: Mapping[str, str],
    method: str,
    raw_path_qs: str,
    body: str,
    *,
    lookup: CredentialLookup,
    now: datetime,
) -> OkxCredentials:
    """Check a private REST request's headers and signature; return the key's credentials.

    Raises OkxRejection with the code OKX uses for the first problem found.
    """
    api_key = _required(headers, "OK-ACCESS-KEY", errors.KEY_EMPTY)
    signature = _required(headers, "OK-ACCESS-SIGN", errors.SIGN_EMPTY)
    stamp_text = _required(headers, "OK-ACCESS-TIMESTAMP", errors.TIMESTAMP_EMPTY)
    passphrase = _required(headers, "OK-ACCESS-PASSPHRASE", errors.PASSPHRASE_EMPTY)
    stamp = parse_timestamp(stamp_text)
    if abs((now - stamp).total_seconds()) > MAX_SKEW_S:
        raise OkxRejection(errors.TIMESTAMP_EXPIRED)
    credentials = lookup(api_key)
    if credentials is None:
        raise OkxRejection(errors.KEY_INVALID)
    if not hmac.compare_digest(passphrase, credentials.passphrase):
        raise OkxRejection(errors.PASSPHRASE_WRONG)
    expected = sign(credentials.secret, stamp_text + method.upper() + raw_path_qs + body)
    if not hmac.compare_digest(signature, expected):
        raise OkxRejection(errors.SIGN_INVALID)
    return credentials


def verify_ws_login(
    arg: Mapping[str, object], lookup: CredentialLookup, now: datetime
) -> OkxCredentials:
    """Check one websocket ``login`` argument; return the key's credentials or raise 60009."""
    api_key, passphrase, stamp, signature = (
        _login_field(arg, name) for name in ("apiKey", "passphrase", "timestamp", "sign")
    )
    try:
        seconds = float(stamp)
    except ValueError:
        raise OkxRejection(errors.WS_LOGIN_FAILED) from None
    if abs(now.timestamp() - seconds) > MAX_SKEW_S:
        raise OkxRejection(errors.WS_LOGIN_FAILED)
    credentials = lookup(api_key)
    if credentials is None or not hmac.compare_digest(passphrase, credentials.passphrase):
        raise OkxRejection(errors.WS_LOGIN_FAILED)
    if not hmac.compare_digest(signature, sign(credentials.secret, stamp + WS_LOGIN_PATH)):
        raise OkxRejection(errors.WS_LOGIN_FAILED)
    return credentials


def iso_now(now: datetime) -> str:
    """Format a time the way OKX formats ``OK-ACCESS-TIMESTAMP`` (milliseconds, Z)."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _login_field(arg: Mapping[str, object], name: str) -> str:
    value = arg.get(name)
    if not isinstance(value, str) or not value:
        raise OkxRejection(errors.WS_LOGIN_FAILED)
    return value


def _required(headers: Mapping[str, str], name: str, missing: errors.OkxCode) -> str:
    value = headers.get(name, "")
    if not value:
        raise OkxRejection(missing)
    return value
