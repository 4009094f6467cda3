"""Deposit addresses and transaction ids shaped like the chain they claim to be on.

A client that checks formats (ccxt's address checks, a wallet's validation, a person reading
a log) should see TRON's ``T…`` base58check addresses and bare 64-hex transaction ids on
TRC20, Bitcoin's base58check ``1…`` addresses and bare transaction ids on BTC, and ``0x…``
addresses and transaction hashes on the Ethereum-style chains. Every value is derived from a
seed by SHA-256, so the same account and network always get the same address.
"""

from __future__ import annotations

import hashlib

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# version bytes of base58check addresses: TRON mainnet 0x41 ("T…"), Bitcoin P2PKH 0x00 ("1…")
_TRON_VERSION = b"\x41"
_BITCOIN_VERSION = b"\x00"
_TRON_NETWORKS = frozenset({"TRC20", "TRX", "TRON"})
_BITCOIN_NETWORKS = frozenset({"BTC", "BITCOIN"})


def address_for(network: str, seed: str) -> str:
    """A stable address on ``network`` (a unified network code) derived from ``seed``."""
    digest = hashlib.sha256(seed.encode()).digest()
    code = network.upper()
    if code in _TRON_NETWORKS:
        return base58check(_TRON_VERSION + digest[:20])
    if code in _BITCOIN_NETWORKS:
        return base58check(_BITCOIN_VERSION + digest[:20])
    return "0x" + digest[:20].hex()


def txid_for(network: str, seed: str) -> str:
    """A stable transaction id on ``network``: bare hex on TRON and Bitcoin, ``0x…`` elsewhere."""
    digest = hashlib.sha256(seed.encode()).hexdigest()
    code = network.upper()
    return digest if code in _TRON_NETWORKS | _BITCOIN_NETWORKS else "0x" + digest


def base58check(payload: bytes) -> str:
    """Base58 of ``payload`` followed by the first four bytes of its double SHA-256."""
    checksum = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    data = payload + checksum
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(_BASE58[rest])
    leading_zeros = len(data) - len(data.lstrip(b"\x00"))
    return "1" * leading_zeros + "".join(reversed(digits))
