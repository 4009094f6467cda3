"""Binance signed wallet REST (``/sapi/v1``): coins and networks, deposit addresses,
withdrawals and the deposit and withdrawal history.

Withdrawal statuses follow Binance: 4 processing, 6 completed, 5 failure, 1 cancelled. A
withdrawal may carry our ``withdrawOrderId``: it is echoed in the history, the history can be
filtered by it, and a reused one is refused (``-4000 Duplicate withdrawOrderId.``).
``amount`` is what was requested (it left the account); ``transactionFee`` was kept from it.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from rebalancer.exchange_sim.binance.auth import signed_params
from rebalancer.exchange_sim.binance.payloads import fmt, network_code, network_id, symbol_id
from rebalancer.exchange_sim.binance.site import BinanceSite, json_reply, missing
from rebalancer.exchange_sim.engine import Deposit, Network, TransferState, Withdrawal

WITHDRAW_STATUS = {
    TransferState.PENDING: 4,
    TransferState.COMPLETED: 6,
    TransferState.FAILED: 5,
    TransferState.CANCELED: 1,
}
DEPOSIT_STATUS = {TransferState.PENDING: 0, TransferState.COMPLETED: 1}
MAX_HISTORY = 1000


class WalletRoutes:
    """Handlers of the ``/sapi/v1`` endpoints ccxt's funding methods call."""

    def __init__(self, site: BinanceSite) -> None:
        self.site = site

    def routes(self) -> list[web.RouteDef]:
        """The routes this class serves."""
        return [
            web.get("/sapi/v1/capital/config/getall", self.coins),
            web.get("/sapi/v1/capital/deposit/address", self.deposit_address),
            web.get("/sapi/v1/capital/deposit/hisrec", self.deposits),
            web.get("/sapi/v1/capital/withdraw/history", self.withdrawals),
            web.post("/sapi/v1/capital/withdraw/apply", self.withdraw),
            web.get("/sapi/v1/asset/tradeFee", self.trade_fees),
        ]

    async def coins(self, request: web.Request) -> web.Response:
        """Every coin with its networks, fees and minimums (what ``fetch_currencies`` reads)."""
        account, _ = await signed_params(request, self.site.venue)
        networks = self.site.engine.networks[self.site.venue.name]
        assets = set(account.balances) | {asset for asset, _ in networks}
        for market in self.site.venue.markets.values():
            assets.update((market.base, market.quote))
        coins = []
        for asset in sorted(assets):
            balance = account.balance(asset)
            coins.append(
                {
                    "coin": asset,
                    "name": asset,
                    "depositAllEnable": True,
                    "withdrawAllEnable": True,
                    "free": fmt(balance.free),
                    "locked": fmt(balance.locked),
                    "freeze": "0",
                    "withdrawing": "0",
                    "isLegalMoney": False,
                    "trading": True,
                    "networkList": [
                        _network_entry(n) for (a, _), n in sorted(networks.items()) if a == asset
                    ],
                }
            )
        return json_reply(coins)

    async def deposit_address(self, request: web.Request) -> web.Response:
        """The account's address for a coin on a network (its default network if none given)."""
        account, params = await signed_params(request, self.site.venue)
        coin = params.get("coin")
        if not coin:
            raise missing("coin")
        wanted = params.get("network")
        network, address = self.site.engine.deposit_address(
            self.site.venue.name, account.api_key, coin, network_code(wanted) if wanted else None
        )
        return json_reply(
            {"address": address, "coin": coin, "tag": "", "url": _explorer(network) + address}
        )

    async def withdraw(self, request: web.Request) -> web.Response:
        """Withdraw a coin to an address; reply with the withdrawal's id."""
        account, params = await signed_params(request, self.site.venue)
        for name in ("coin", "address", "amount"):
            if not params.get(name):
                raise missing(name)
        amount = self.site.decimal(params, "amount")
        assert amount is not None
        wanted = params.get("network")
        withdrawal = self.site.engine.withdraw(
            self.site.venue.name,
            account.api_key,
            params["coin"],
            amount,
            params["address"],
            network=network_code(wanted) if wanted else None,
            tag=params.get("addressTag") or None,
            client_id=params.get("withdrawOrderId") or None,
        )
        return json_reply({"id": withdrawal.id})

    async def withdrawals(self, request: web.Request) -> web.Response:
        """The account's withdrawals, newest first, filtered by coin, time and client id."""
        account, params = await signed_params(request, self.site.venue)
        rows = self.site.engine.account_withdrawals(self.site.venue.name, account.api_key)
        client_id = params.get("withdrawOrderId") or None
        chosen = [
            w
            for w in rows
            if self._wanted(params, w.asset, w.applied_ms) and client_id in (None, w.client_id)
        ]
        return json_reply(
            [_withdrawal_entry(w) for w in reversed(chosen)][: _limit(self.site, params)]
        )

    async def deposits(self, request: web.Request) -> web.Response:
        """The account's deposits, newest first, filtered by coin and time."""
        account, params = await signed_params(request, self.site.venue)
        rows = self.site.engine.account_deposits(self.site.venue.name, account.api_key)
        chosen = [d for d in rows if self._wanted(params, d.asset, d.time_ms)]
        return json_reply(
            [_deposit_entry(d) for d in reversed(chosen)][: _limit(self.site, params)]
        )

    def _wanted(self, params: dict[str, str], asset: str, at_ms: int) -> bool:
        coin = params.get("coin")
        start = self.site.integer(params, "startTime")
        end = self.site.integer(params, "endTime")
        return (
            (not coin or coin == asset)
            and (start is None or at_ms >= start)
            and (end is None or at_ms <= end)
        )

    async def trade_fees(self, request: web.Request) -> web.Response:
        """Maker and taker commission of each market (or of ``symbol``)."""
        _, params = await signed_params(request, self.site.venue)
        only = self.site.symbol(params, required=False)
        return json_reply(
            [
                {
                    "symbol": symbol_id(m.symbol),
                    "makerCommission": format(
                        m.maker_fee if m.maker_fee is not None else m.taker_fee, "f"
                    ),
                    "takerCommission": format(m.taker_fee, "f"),
                }
                for m in self.site.venue.markets.values()
                if only is None or m.symbol == only
            ]
        )


def _limit(site: BinanceSite, params: dict[str, str]) -> int:
    return min(site.integer(params, "limit") or MAX_HISTORY, MAX_HISTORY)


def _explorer(network: Network) -> str:
    return f"https://{network_id(network.network).lower()}.explorer.sim/address/"


def _network_entry(network: Network) -> dict[str, Any]:
    return {
        "network": network_id(network.network),
        "coin": network.asset,
        "name": network.network,
        "isDefault": network.is_default,
        "depositEnable": network.deposit_enabled,
        "withdrawEnable": network.withdraw_enabled,
        "withdrawFee": fmt(network.fee),
        "withdrawMin": fmt(network.min_amount),
        "withdrawMax": "9999999999.00000000",
        "withdrawIntegerMultiple": "0.00000001",
        "depositDust": "0.00000001",
        "minConfirm": 1,
        "unLockConfirm": 1,
        "sameAddress": False,
        "estimatedArrivalTime": int(network.delay_s // 60),
        "busy": False,
        "contractAddressUrl": _explorer(network),
    }


def _utc(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms / 1000))


def _withdrawal_entry(w: Withdrawal) -> dict[str, Any]:
    completed = next((at for state, at in w.history if state.is_final), None)
    entry: dict[str, Any] = {
        "id": w.id,
        "amount": fmt(w.amount),
        "transactionFee": fmt(w.fee),
        "coin": w.asset,
        "status": WITHDRAW_STATUS[w.state],
        "address": w.address,
        "addressTag": w.tag or "",
        "txId": w.txid,
        "applyTime": _utc(w.applied_ms),
        "network": network_id(w.network),
        "transferType": 0,
        "withdrawOrderId": w.client_id or "",
        "info": "",
        "confirmNo": 1 if completed else 0,
        "walletType": 0,
    }
    if completed is not None:
        entry["completeTime"] = _utc(completed)
    return entry


def _deposit_entry(d: Deposit) -> dict[str, Any]:
    return {
        "id": d.id,
        "amount": fmt(d.amount),
        "coin": d.asset,
        "network": network_id(d.network),
        "status": DEPOSIT_STATUS.get(d.state, 1),
        "address": d.address,
        "addressTag": "",
        "txId": d.txid,
        "insertTime": d.time_ms,
        "transferType": 0,
        "confirmTimes": "1/1",
        "unlockConfirm": 0,
        "walletType": 0,
    }
