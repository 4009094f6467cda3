"""Client order ids: a pure, reversible function of (run, node, attempt).

An order's client id is known before it is sent, so its intent can be committed first and an
ambiguous outcome can be settled by looking the id up. The same (run, node, attempt) always
gives the same id; a new attempt at a node gets a new attempt number and therefore a new id.

The id is alphanumeric only and at most 32 characters, so it fits Binance's 36-character
``newClientOrderId`` and OKX's 32-character alphanumeric ``clOrdId``. Its layout is
length-prefixed, so it parses back without a separator character::

    rb  <len(run)> <run>  <len(node)> <node>  <attempt>
    "rb" "2" "42"  "2" "o1"  "3"      -> "rb242" "2o1" "3" -> "rb2422o13"

Lengths are one base-36 digit and the attempt is base 36, all lowercase. Every id we create
starts with ``CLIENT_ID_PREFIX``, which is how recovery recognises our orders on a venue.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from rebalancer.domain.errors import InvalidValue

CLIENT_ID_PREFIX = "rb"
MAX_CLIENT_ID_LENGTH = 32
_DIGITS36 = string.digits + string.ascii_lowercase
_ALNUM = frozenset(string.ascii_letters + string.digits)


@dataclass(frozen=True, slots=True, order=True)
class ClientOrderRef:
    """What a client order id stands for: which run, which plan node, which attempt."""

    run_id: str
    node_id: str
    attempt: int

    def __str__(self) -> str:
        return f"run {self.run_id} node {self.node_id} attempt {self.attempt}"


def _base36(value: int) -> str:
    if value == 0:
        return "0"
    digits: list[str] = []
    while value:
        value, rest = divmod(value, 36)
        digits.append(_DIGITS36[rest])
    return "".join(reversed(digits))


def _check_part(field: str, value: str) -> None:
    if not value:
        raise InvalidValue(f"{field}: must not be empty")
    if not set(value) <= _ALNUM:
        raise InvalidValue(f"{field}: {value!r} must be letters and digits only")
    if len(value) > len(_DIGITS36) - 1:
        raise InvalidValue(f"{field}: {value!r} is longer than 35 characters")


def make_client_order_id(run_id: str | int, node_id: str, attempt: int) -> str:
    """Return the client order id of ``attempt`` (0, 1, …) at plan node ``node_id`` of a run.

    Raises InvalidValue (naming the field) when a part is not alphanumeric, the attempt is
    negative, or the id would be longer than 32 characters.
    """
    run = str(run_id)
    _check_part("run_id", run)
    _check_part("node_id", node_id)
    if isinstance(attempt, bool) or attempt < 0:
        raise InvalidValue(f"attempt: must be a non-negative integer, got {attempt!r}")
    result = (
        f"{CLIENT_ID_PREFIX}{_DIGITS36[len(run)]}{run}"
        f"{_DIGITS36[len(node_id)]}{node_id}{_base36(attempt)}"
    )
    if len(result) > MAX_CLIENT_ID_LENGTH:
        raise InvalidValue(
            f"client_order_id: {result!r} is {len(result)} characters, "
            f"more than {MAX_CLIENT_ID_LENGTH}: shorten the run or node id"
        )
    return result


def make_transfer_client_id(run_id: str | int, node_id: str, round_no: int) -> str:
    """Return the client id of the withdrawal made for transfer node ``node_id`` in a round.

    The same layout and prefix as order ids, with the round as the attempt: one withdrawal per
    transfer node per round, so a transfer replanned in a later round gets a new id. It is the
    transfer's id in the Store and is sent as Binance ``withdrawOrderId`` / OKX ``clientId``
    (alphanumeric, at most 32 characters, which both accept), so a withdrawal whose outcome we
    did not hear can be looked up on the venue. Raises InvalidValue like
    ``make_client_order_id``.
    """
    return make_client_order_id(run_id, node_id, round_no)


def is_ours(client_order_id: str | None) -> bool:
    """True when ``client_order_id`` is one of ours (it parses back)."""
    return client_order_id is not None and parse_client_order_id(client_order_id) is not None


def _read_part(text: str, position: int) -> tuple[str, int] | None:
    """Read one length-prefixed part at ``position``: the part and the position after it."""
    if position >= len(text):
        return None
    size = _DIGITS36.find(text[position])
    part = text[position + 1 : position + 1 + size]
    if size <= 0 or len(part) != size:
        return None
    return part, position + 1 + size


def parse_client_order_id(client_order_id: str) -> ClientOrderRef | None:
    """Return what one of our ids stands for, or None when it is not one of ours."""
    text = client_order_id
    if len(text) > MAX_CLIENT_ID_LENGTH or not text.startswith(CLIENT_ID_PREFIX):
        return None
    if not set(text) <= _ALNUM:
        return None
    run = _read_part(text, len(CLIENT_ID_PREFIX))
    node = _read_part(text, run[1]) if run else None
    if run is None or node is None:
        return None
    attempt_text = text[node[1] :]
    if not attempt_text or not set(attempt_text) <= set(_DIGITS36):
        return None
    ref = ClientOrderRef(run[0], node[0], int(attempt_text, 36))
    # Only the canonical spelling is ours (no leading zeros, lowercase attempt).
    return ref if make_client_order_id(ref.run_id, ref.node_id, ref.attempt) == text else None
