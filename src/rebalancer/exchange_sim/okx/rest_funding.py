"""Private OKX account and funding endpoints: balance, currencies, addresses, transfers.

The simulator keeps one balance per asset, so the trading account (``account/balance``) and the
funding account OKX withdraws from are the same money here; a withdrawal needs no transfer
between them first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation

from aiohttp import web

from rebalancer.exchange_sim.engine.engine import DEFAULT_NETWORK
from rebalancer.exchange_sim.engine.errors import Rejected
from rebalancer.exchange_sim.engine.transfers import Network
from rebalancer.exchange_sim.okx import errors, funding_payloads, payloads
from rebalancer.exchange_sim.okx.context import OkxContext
from rebalancer.exchange_sim.okx.errors import OkxRejection
from rebalancer.exchange_sim.okx.http import PrivateCall, body_object, ok, private
from rebalancer.exchange_sim.okx.rejections import Endpoint, to_okx

MAX_HISTORY = 100


class FundingRoutes:
    """Handlers of ``account/balance`` and ``/api/v5/asset/*``."""

    def __init__(self, ctx: OkxContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes of these handlers, each behind the signature check."""
        lookup, clock = self.ctx.lookup, self.ctx.clock
        return [
            web.get("/api/v5/account/balance", private(self.balance, lookup, clock)),
            web.get("/api/v5/asset/currencies", private(self.currencies, lookup, clock)),
            web.get("/api/v5/asset/deposit-address", private(self.address, lookup, clock)),
            web.post("/api/v5/asset/withdrawal", private(self.withdraw, lookup, clock)),
            web.get("/api/v5/asset/withdrawal-history", private(self.withdrawals, lookup, clock)),
            web.get("/api/v5/asset/deposit-history", private(self.deposits, lookup, clock)),
        ]

    async def balance(self, call: PrivateCall) -> web.Response:
        """``GET account/balance[?ccy=A,B]``: free and frozen amounts per asset."""
        wanted = _assets(call.query)
        held = self.ctx.venue.account(call.account).balances
        balances = {
            asset: (b.free, b.locked)
            for asset, b in held.items()
            if wanted is None or asset in wanted
        }
        return ok([payloads.balance(balances, self.ctx.now_ms())])

    async def currencies(self, call: PrivateCall) -> web.Response:
        """``GET asset/currencies``: every asset on every chain it can move on."""
        wanted = _assets(call.query)
        entries = [
            funding_payloads.currency(network)
            for network in self._networks()
            if wanted is None or network.asset in wanted
        ]
        entries.sort(key=lambda e: (str(e["ccy"]), str(e["chain"])))
        return ok(entries)

    async def address(self, call: PrivateCall) -> web.Response:
        """``GET asset/deposit-address?ccy=``: the account's address on each chain of an asset."""
        asset = _required(call.query, "ccy")
        networks = [n for n in self._configured() if n.asset == asset]
        if not networks:
            raise OkxRejection(errors.CURRENCY_UNKNOWN)
        entries = []
        for network in networks:
            with _funding_errors():
                chosen, addr = self.ctx.engine.deposit_address(
                    self.ctx.venue_name, call.account, asset, network.network
                )
            entries.append(funding_payloads.deposit_address(chosen, addr))
        return ok(entries)

    async def withdraw(self, call: PrivateCall) -> web.Response:
        """``POST asset/withdrawal``: send ``amt`` of ``ccy`` over ``chain`` to ``toAddr``.

        An optional ``clientId`` names the withdrawal; a reused one is refused (51016).
        """
        raw = body_object(call)
        asset = _text(raw, "ccy", required=True)
        address, _, tag = _text(raw, "toAddr", required=True).partition(":")
        amount = _amount(_text(raw, "amt", required=True))
        chain_id = _text(raw, "chain")
        network = funding_payloads.network_of(asset, chain_id) if chain_id else None
        if chain_id and not network:
            raise OkxRejection(errors.PARAM_ERROR, "chain")
        client_id = _text(raw, "clientId") or None
        if client_id is not None and not (len(client_id) <= 32 and _alphanumeric(client_id)):
            raise OkxRejection(errors.PARAM_ERROR, "clientId")  # 1-32 letters and digits
        with _funding_errors():
            withdrawal = self.ctx.engine.withdraw(
                self.ctx.venue_name,
                call.account,
                asset,
                amount,
                address,
                network=network,
                tag=tag or None,
                client_id=client_id,
            )
        return ok([funding_payloads.withdrawal_ack(withdrawal)])

    async def withdrawals(self, call: PrivateCall) -> web.Response:
        """``GET asset/withdrawal-history``: the account's withdrawals, newest first.

        Filters: ``ccy``, ``before``/``after``, ``wdId`` and our ``clientId``.
        """
        items = self.ctx.engine.account_withdrawals(self.ctx.venue_name, call.account)
        wd_id = call.query.get("wdId", "")
        client_id = call.query.get("clientId", "")
        chosen = [
            w
            for w in items
            if _matches(call.query, w.asset, w.applied_ms)
            and wd_id in ("", w.id)
            and client_id in ("", w.client_id)
        ]
        chosen.sort(key=lambda w: (w.applied_ms, w.id), reverse=True)
        return ok([funding_payloads.withdrawal(w) for w in chosen[: _limit(call.query)]])

    async def deposits(self, call: PrivateCall) -> web.Response:
        """``GET asset/deposit-history``: the account's deposits, newest first."""
        items = self.ctx.engine.account_deposits(self.ctx.venue_name, call.account)
        dep_id = call.query.get("depId", "")
        chosen = [
            d for d in items if _matches(call.query, d.asset, d.time_ms) and dep_id in ("", d.id)
        ]
        chosen.sort(key=lambda d: (d.time_ms, d.id), reverse=True)
        return ok([funding_payloads.deposit(d) for d in chosen[: _limit(call.query)]])

    # -- helpers ------------------------------------------------------------------------------
    def _configured(self) -> list[Network]:
        return list(self.ctx.engine.networks.get(self.ctx.venue_name, {}).values())

    def _networks(self) -> Iterable[Network]:
        """Configured networks, plus a closed placeholder chain for traded assets without one.

        ccxt builds its currency table only from this answer, so every traded asset must be
        listed or ``currency(code)`` fails for it.
        """
        configured = self._configured()
        yield from configured
        movable = {n.asset for n in configured}
        traded = {a for m in self.ctx.venue.markets.values() for a in (m.base, m.quote)}
        for asset in sorted(traded - movable):
            yield Network(asset, DEFAULT_NETWORK, withdraw_enabled=False, deposit_enabled=False)


@contextmanager
def _funding_errors() -> Iterator[None]:
    """Answer an engine refusal with the OKX funding code for it."""
    try:
        yield
    except Rejected as rejected:
        raise to_okx(rejected, Endpoint.FUNDING) from None


def _assets(query: Mapping[str, str]) -> set[str] | None:
    text = query.get("ccy", "")
    return {part for part in text.split(",") if part} if text else None


def _matches(query: Mapping[str, str], asset: str, ts: int) -> bool:
    if query.get("ccy") and query["ccy"] != asset:
        return False
    before, after = query.get("before", ""), query.get("after", "")
    if before and (not before.isdigit() or ts <= int(before)):
        return False
    return not (after and (not after.isdigit() or ts >= int(after)))


def _required(query: Mapping[str, str], name: str) -> str:
    value = query.get(name, "")
    if not value:
        raise OkxRejection(errors.PARAM_EMPTY, name)
    return value


def _text(raw: Mapping[str, object], name: str, *, required: bool = False) -> str:
    value = raw.get(name, "")
    if not isinstance(value, str):
        raise OkxRejection(errors.PARAM_ERROR, name)
    if required and not value:
        raise OkxRejection(errors.PARAM_EMPTY, name)
    return value


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise OkxRejection(errors.PARAM_ERROR, "amt") from None
    if not value.is_finite() or value <= 0:
        raise OkxRejection(errors.PARAM_ERROR, "amt")
    return value


def _limit(query: Mapping[str, str]) -> int:
    text = query.get("limit", str(MAX_HISTORY))
    if not text.isdigit() or not 1 <= int(text) <= MAX_HISTORY:
        raise OkxRejection(errors.PARAM_ERROR, "limit")
    return int(text)


def _alphanumeric(text: str) -> bool:
    return text.isascii() and text.isalnum()
