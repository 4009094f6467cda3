"""Private OKX account endpoints: the account's configuration and its bills (statement).

``account/bills`` (the last 7 days on OKX) and ``account/bills-archive`` (3 months) list the
engine's statement of the account, newest first. A fill is two trade bills (type 2, subtype 1
buy / 2 sell): the asset paid and the asset received with its fee. The simulator keeps the
funding and trading accounts as one balance, so a deposit or a refunded withdrawal shows as a
transfer into the trading account (type 1, subtype 11, from "6" funding to "18" trading) and a
withdrawal as a transfer out (subtype 12), which is what the trading account's bills show when
money moves through the funding account on OKX.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from aiohttp import web

from rebalancer.exchange_sim.engine.ledger import LedgerEntry, LedgerKind
from rebalancer.exchange_sim.okx import errors
from rebalancer.exchange_sim.okx.context import OkxContext
from rebalancer.exchange_sim.okx.errors import OkxRejection
from rebalancer.exchange_sim.okx.http import PrivateCall, ok, private
from rebalancer.exchange_sim.okx.payloads import Json
from rebalancer.exchange_sim.okx.wire import inst_id, ms, num

MAX_BILLS = 100
FUNDING, TRADING = "6", "18"
TRANSFER, TRADE = "1", "2"
_SUBTYPES = {
    LedgerKind.DEPOSIT: "11",
    LedgerKind.REFUND: "11",
    LedgerKind.WITHDRAWAL: "12",
}


def bill(entry: LedgerEntry) -> Json:
    """One ``account/bills`` entry from a statement entry."""
    trade = entry.kind is LedgerKind.TRADE
    incoming = entry.change > 0
    return {
        "bal": num(entry.balance),
        "balChg": num(entry.change),
        "billId": str(entry.id),
        "ccy": entry.asset,
        "execType": "",
        "fee": num(-entry.fee) if entry.fee else "0",
        "fillTime": ms(entry.time_ms) if trade else "",
        "from": "" if trade else (FUNDING if incoming else TRADING),
        "instId": inst_id(entry.symbol) if entry.symbol else "",
        "instType": "SPOT" if trade else "",
        "interest": "0",
        "mgnMode": "",
        "notes": "",
        "ordId": str(entry.order_id) if entry.order_id is not None else "",
        "pnl": "0",
        "posBal": "0",
        "posBalChg": "0",
        "subType": ("1" if entry.side == "buy" else "2") if trade else _SUBTYPES[entry.kind],
        "sz": num(entry.gross),
        "tag": "",
        "to": "" if trade else (TRADING if incoming else FUNDING),
        "ts": ms(entry.time_ms),
        "type": TRADE if trade else TRANSFER,
    }


class AccountRoutes:
    """Handlers of ``account/config``, ``account/bills`` and ``account/bills-archive``."""

    def __init__(self, ctx: OkxContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes of these handlers, each behind the signature check."""
        lookup, clock = self.ctx.lookup, self.ctx.clock
        return [
            web.get("/api/v5/account/config", private(self.config, lookup, clock)),
            web.get("/api/v5/account/bills", private(self.bills, lookup, clock)),
            web.get("/api/v5/account/bills-archive", private(self.bills, lookup, clock)),
        ]

    async def config(self, call: PrivateCall) -> web.Response:
        """``GET account/config``: a spot account in OKX's simple mode (``acctLv`` 1)."""
        uid = str(int(hashlib.sha256(call.account.encode()).hexdigest()[:12], 16))
        return ok(
            [
                {
                    "uid": uid,
                    "mainUid": uid,
                    "acctLv": "1",
                    "acctStpMode": "cancel_maker",
                    "posMode": "net_mode",
                    "autoLoan": False,
                    "greeksType": "PA",
                    "level": "Lv1",
                    "levelTmp": "",
                    "ctIsoMode": "automatic",
                    "mgnIsoMode": "automatic",
                    "roleType": "0",
                    "spotRoleType": "0",
                    "traderInsts": [],
                    "spotTraderInsts": [],
                    "opAuth": "0",
                    "kycLv": "2",
                    "label": "simulator",
                    "ip": "127.0.0.1",
                    "perm": "read_only,withdraw,trade",
                    "enableSpotBorrow": False,
                    "spotBorrowAutoRepay": False,
                    "type": "0",
                }
            ]
        )

    async def bills(self, call: PrivateCall) -> web.Response:
        """``GET account/bills[-archive]``: the statement, newest first, with OKX's filters.

        Filters: ``ccy``, ``instType``, ``type``, ``subType``, ``after``/``before`` (bill ids),
        ``begin``/``end`` (times), ``limit`` (at most 100).
        """
        query = call.query
        after, before = _number(query, "after"), _number(query, "before")
        begin, end = _number(query, "begin"), _number(query, "end")
        wanted = {name: query.get(name, "") for name in ("ccy", "instType", "type", "subType")}
        chosen = []
        for entry in reversed(self.ctx.venue.account_ledger(call.account)):
            item = bill(entry)
            if any(value and item[name] != value for name, value in wanted.items()):
                continue
            if (after is not None and entry.id >= after) or (
                before is not None and entry.id <= before
            ):
                continue
            if (begin is not None and entry.time_ms < begin) or (
                end is not None and entry.time_ms > end
            ):
                continue
            chosen.append(item)
        return ok(chosen[: _limit(query)])


def _number(query: Mapping[str, str], name: str) -> int | None:
    text = query.get(name, "")
    if not text:
        return None
    if not text.isdigit():
        raise OkxRejection(errors.PARAM_ERROR, name)
    return int(text)


def _limit(query: Mapping[str, str]) -> int:
    text = query.get("limit", "")
    if not text:
        return MAX_BILLS
    if not text.isdigit() or int(text) < 1:
        raise OkxRejection(errors.PARAM_ERROR, "limit")
    return min(int(text), MAX_BILLS)
