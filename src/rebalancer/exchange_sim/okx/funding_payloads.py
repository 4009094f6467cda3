"""OKX funding objects (currencies, deposit addresses, deposits, withdrawals) from the engine.

A chain is ``CCY-Network`` with OKX's network name (``USDT-TRC20``, ``BTC-Bitcoin``,
``USDT-BSC``), which is how ccxt maps it back to the unified network code. OKX's transfer
states are numbers: withdrawals ``1`` broadcasting, ``2`` success, ``-1`` failed, ``-2``
cancelled; deposits ``0`` waiting for confirmation, ``2`` credited.
"""

from __future__ import annotations

from rebalancer.exchange_sim.engine.transfers import Deposit, Network, TransferState, Withdrawal
from rebalancer.exchange_sim.okx.payloads import Json
from rebalancer.exchange_sim.okx.wire import ms, num

WITHDRAWAL_PRECISION_DIGITS = "8"
_WITHDRAWAL_STATES = {
    TransferState.PENDING: "1",
    TransferState.COMPLETED: "2",
    TransferState.FAILED: "-1",
    TransferState.CANCELED: "-2",
}
_DEPOSIT_STATES = {
    TransferState.PENDING: "0",
    TransferState.COMPLETED: "2",
    TransferState.FAILED: "-1",
    TransferState.CANCELED: "-1",
}


# unified network code -> OKX's name in chain ids, where they differ (OKX's public chain list)
OKX_NETWORK_NAMES = {
    "BTC": "Bitcoin",
    "BEP20": "BSC",
    "SOL": "Solana",
    "ARBITRUM": "Arbitrum One",
    "OP": "Optimism",
    "MATIC": "Polygon",
    "AVAXC": "Avalanche C-Chain",
    "DOGE": "Dogecoin",
    "LTC": "Litecoin",
    "XRP": "Ripple",
    "ADA": "Cardano",
    "DOT": "Polkadot",
    "ATOM": "Cosmos",
    "XLM": "Stellar Lumens",
    "ETC": "Ethereum Classic",
    "BCH": "BitcoinCash",
}
_NETWORK_CODES = {name: code for code, name in OKX_NETWORK_NAMES.items()}


def chain(asset: str, network: str) -> str:
    """OKX's chain id of a network: ``USDT`` on ``TRC20`` is ``USDT-TRC20``, ``BTC`` on
    ``BTC`` is ``BTC-Bitcoin``."""
    return f"{asset}-{OKX_NETWORK_NAMES.get(network, network)}"


def network_of(asset: str, chain_id: str) -> str:
    """The unified network of a chain id (``BTC-Bitcoin`` -> ``BTC``); empty if not ``asset``'s."""
    prefix = f"{asset}-"
    if not chain_id.startswith(prefix):
        return ""
    name = chain_id[len(prefix) :]
    return _NETWORK_CODES.get(name, name)


def currency(network: Network) -> Json:
    """One ``asset/currencies`` entry: an asset on one chain, with fee and limits."""
    fee = num(network.fee)
    return {
        "ccy": network.asset,
        "name": network.asset,
        "chain": chain(network.asset, network.network),
        "canDep": network.deposit_enabled,
        "canWd": network.withdraw_enabled,
        "canInternal": False,
        "depQuotaFixed": "",
        "minDep": "0",
        "minWd": num(network.min_amount),
        "maxWd": "100000000",
        "wdTickSz": WITHDRAWAL_PRECISION_DIGITS,
        "wdQuota": "10000000",
        "usedWdQuota": "0",
        "minFee": fee,
        "maxFee": fee,
        "fee": fee,
        "mainNet": network.is_default,
        "needTag": False,
        "minDepArrivalConfirm": "1",
        "minWdUnlockConfirm": "1",
        "logoLink": "",
    }


def deposit_address(network: Network, address: str) -> Json:
    """One ``asset/deposit-address`` entry (``to`` 18: the trading account)."""
    return {
        "chain": chain(network.asset, network.network),
        "ctAddr": "",
        "ccy": network.asset,
        "to": "18",
        "addr": address,
        "selected": True,
    }


def withdrawal(item: Withdrawal) -> Json:
    """One ``asset/withdrawal-history`` entry."""
    return {
        "wdId": item.id,
        "clientId": item.client_id or "",
        "ccy": item.asset,
        "chain": chain(item.asset, item.network),
        "amt": num(item.amount),
        "fee": num(item.fee),
        "feeCcy": item.asset,
        "to": item.address,
        "tag": item.tag or "",
        "from": "",
        "areaCodeFrom": "",
        "areaCodeTo": "",
        "txId": item.txid,
        "state": _WITHDRAWAL_STATES[item.state],
        "nonTradableAsset": False,
        "ts": ms(item.applied_ms),
    }


def withdrawal_ack(item: Withdrawal) -> Json:
    """The ``asset/withdrawal`` answer: the new withdrawal's id."""
    return {
        "wdId": item.id,
        "clientId": item.client_id or "",
        "ccy": item.asset,
        "chain": chain(item.asset, item.network),
        "amt": num(item.amount),
    }


def deposit(item: Deposit) -> Json:
    """One ``asset/deposit-history`` entry."""
    return {
        "depId": item.id,
        "ccy": item.asset,
        "chain": chain(item.asset, item.network),
        "amt": num(item.amount),
        "to": item.address,
        "from": "",
        "areaCodeFrom": "",
        "fromWdId": "",
        "txId": item.txid,
        "state": _DEPOSIT_STATES[item.state],
        "actualDepBlkConfirm": "1",
        "ts": ms(item.time_ms),
    }
