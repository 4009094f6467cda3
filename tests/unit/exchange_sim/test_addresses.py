"""Deposit addresses and transaction ids look like the chain they are on."""

from __future__ import annotations

import hashlib

import pytest

from rebalancer.exchange_sim.engine.addresses import address_for, base58check, txid_for

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def decode_base58check(text: str) -> bytes:
    """Decode and verify a base58check string (written here independently of the encoder)."""
    number = 0
    for char in text:
        number = number * 58 + ALPHABET.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    data = b"\x00" * (len(text) - len(text.lstrip("1"))) + body
    payload, checksum = data[:-4], data[-4:]
    assert hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] == checksum
    return payload


@pytest.mark.parametrize(("network", "version", "first"), [("TRC20", 0x41, "T"), ("BTC", 0, "1")])
def test_base58check_addresses_carry_the_chain_version_and_a_valid_checksum(
    network: str, version: int, first: str
) -> None:
    address = address_for(network, "binance|key|USDT|" + network)
    assert address[0] == first
    assert len(address) == 34 if network == "TRC20" else 26 <= len(address) <= 34
    payload = decode_base58check(address)
    assert payload[0] == version
    assert len(payload) == 21


def test_evm_chains_get_0x_addresses_and_hashes() -> None:
    address = address_for("ERC20", "seed")
    assert address.startswith("0x")
    assert len(address) == 42
    assert int(address, 16) >= 0
    assert txid_for("BEP20", "seed").startswith("0x")


def test_tron_and_bitcoin_transaction_ids_are_bare_hex() -> None:
    for network in ("TRC20", "BTC"):
        txid = txid_for(network, "withdrawal|okx|3")
        assert len(txid) == 64
        assert int(txid, 16) >= 0


def test_addresses_are_stable_per_seed() -> None:
    assert address_for("TRC20", "a") == address_for("TRC20", "a") != address_for("TRC20", "b")


def test_leading_zero_bytes_become_ones() -> None:
    assert base58check(b"\x00\x00\x01").startswith("11")
