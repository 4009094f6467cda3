"""OKX's funding-account view and the transfer between funding and trading accounts.

Real OKX keeps a funding account (withdrawals leave from it) apart from the trading account;
clients move money between them with ``asset/transfer``. The simulator keeps one balance per
asset, so ``asset/balances`` shows the same money as ``account/balance`` and a transfer between
the two accounts is accepted (funds checked, an id issued) without moving anything.
"""

from __future__ import annotations

import itertools
from decimal import Decimal, InvalidOperation

from aiohttp import web

from rebalancer.exchange_sim.okx import errors
from rebalancer.exchange_sim.okx.context import OkxContext
from rebalancer.exchange_sim.okx.errors import OkxRejection
from rebalancer.exchange_sim.okx.http import PrivateCall, body_object, ok, private
from rebalancer.exchange_sim.okx.wire import num

FUNDING, TRADING = "6", "18"


class WalletRoutes:
    """Handlers of ``asset/balances`` and ``asset/transfer``."""

    def __init__(self, ctx: OkxContext) -> None:
        self.ctx = ctx
        self._ids = itertools.count(1)

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes of these handlers, each behind the signature check."""
        lookup, clock = self.ctx.lookup, self.ctx.clock
        return [
            web.get("/api/v5/asset/balances", private(self.balances, lookup, clock)),
            web.post("/api/v5/asset/transfer", private(self.transfer, lookup, clock)),
        ]

    async def balances(self, call: PrivateCall) -> web.Response:
        """``GET asset/balances[?ccy=]``: the funding view of the account's balances."""
        wanted = {c for c in call.query.get("ccy", "").split(",") if c}
        held = self.ctx.venue.account(call.account).balances
        return ok(
            [
                {
                    "ccy": asset,
                    "bal": num(b.total),
                    "availBal": num(b.free),
                    "frozenBal": num(b.locked),
                }
                for asset, b in sorted(held.items())
                if not wanted or asset in wanted
            ]
        )

    async def transfer(self, call: PrivateCall) -> web.Response:
        """``POST asset/transfer``: accept a funding <-> trading move within one account."""
        raw = body_object(call)
        asset, amount_text = raw.get("ccy"), raw.get("amt")
        source, target = raw.get("from"), raw.get("to")
        if not isinstance(asset, str) or not asset:
            raise OkxRejection(errors.PARAM_EMPTY, "ccy")
        if raw.get("type", "0") != "0":
            raise OkxRejection(errors.PARAM_ERROR, "type")
        if {source, target} != {FUNDING, TRADING}:
            raise OkxRejection(errors.PARAM_ERROR, "from")
        amount = _amount(amount_text)
        if amount > self.ctx.venue.account(call.account).balance(asset).free:
            raise OkxRejection(errors.WITHDRAW_INSUFFICIENT)
        client_id = raw.get("clientId", "")
        return ok(
            [
                {
                    "transId": str(next(self._ids)),
                    "ccy": asset,
                    "clientId": client_id if isinstance(client_id, str) else "",
                    "from": source,
                    "amt": num(amount),
                    "to": target,
                }
            ]
        )


def _amount(value: object) -> Decimal:
    if not isinstance(value, str):
        raise OkxRejection(errors.PARAM_ERROR, "amt")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise OkxRejection(errors.PARAM_ERROR, "amt") from None
    if not amount.is_finite() or amount <= 0:
        raise OkxRejection(errors.PARAM_ERROR, "amt")
    return amount
