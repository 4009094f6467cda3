"""The control plane over HTTP (its own 127.0.0.1 port), mirroring ``SimulatorControl``.

    GET  /state                         balances, mids, open orders, silenced streams
    GET  /orders[?venue=]               the order log
    GET  /transfers                     withdrawals and deposits
    POST /prices        {symbol, price, venue?}          pin a price
    POST /prices/release {symbol, venue?}                let the path drive it again
    POST /prices/script {steps: [{at_s, prices}]}        scripted prices from now
    POST /deposits      {venue, asset, amount, api_key?, network?}
    POST /debits        {venue, asset, amount, api_key?}     taken off to outside, by hand
    POST /withdrawals/{id}/complete | /withdrawals/{id}/fail
    GET  /faults | POST /faults {venue, path, method, status, body, delay_ms, drop, count,
                                 execute, late} | DELETE /faults[?venue=]
    POST /websockets/close {venue?}     POST /user-streams/end {venue?}
    POST /streams/silence {venue, streams: ["market","user"], silent: true}
    POST /reset

Bad input answers 400 ``{"error": "..."}`` naming the field.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from rebalancer.domain.money import format_decimal, to_decimal
from rebalancer.exchange_sim.control import (
    SimulatorControl,
    deposit_view,
    withdrawal_view,
)
from rebalancer.exchange_sim.engine import Rejected
from rebalancer.exchange_sim.routing import Handler


def build_control_app(control: SimulatorControl) -> web.Application:
    """The control plane's aiohttp app."""
    routes = ControlRoutes(control)
    app = web.Application(middlewares=[_errors])
    app.add_routes(
        [
            web.get("/state", routes.state),
            web.get("/orders", routes.orders),
            web.get("/transfers", routes.transfers),
            web.post("/prices", routes.set_price),
            web.post("/prices/release", routes.release_price),
            web.post("/prices/script", routes.script_prices),
            web.post("/deposits", routes.deposit),
            web.post("/debits", routes.debit),
            web.post("/withdrawals/{id}/complete", routes.complete_withdrawal),
            web.post("/withdrawals/{id}/fail", routes.fail_withdrawal),
            web.get("/faults", routes.faults),
            web.post("/faults", routes.inject_fault),
            web.delete("/faults", routes.clear_faults),
            web.post("/websockets/close", routes.close_websockets),
            web.post("/user-streams/end", routes.end_user_streams),
            web.post("/streams/silence", routes.silence),
            web.post("/reset", routes.reset),
        ]
    )
    return app


class ControlRoutes:
    """Handlers of the control API."""

    def __init__(self, control: SimulatorControl) -> None:
        self.control = control

    async def state(self, request: web.Request) -> web.Response:
        """Balances, mids and open orders."""
        return web.json_response(self.control.state())

    async def orders(self, request: web.Request) -> web.Response:
        """The order log."""
        return web.json_response(self.control.order_log(request.query.get("venue")))

    async def transfers(self, request: web.Request) -> web.Response:
        """The transfer log."""
        return web.json_response(self.control.transfer_log())

    async def set_price(self, request: web.Request) -> web.Response:
        """Pin a price."""
        body = await _body(request)
        price = to_decimal(_field(body, "price"), what="price")
        venues = self.control.set_price(_text(body, "symbol"), price, body.get("venue"))
        return web.json_response({"venues": venues})

    async def release_price(self, request: web.Request) -> web.Response:
        """Unpin a price."""
        body = await _body(request)
        self.control.release_price(_text(body, "symbol"), body.get("venue"))
        return web.json_response({"ok": True})

    async def script_prices(self, request: web.Request) -> web.Response:
        """Install scripted prices."""
        body = await _body(request)
        steps = _field(body, "steps")
        if not isinstance(steps, list) or not steps:
            raise ValueError("steps: expected a non-empty list of {at_s, prices}")
        parsed = []
        for index, step in enumerate(steps):
            if not isinstance(step, dict) or not isinstance(step.get("prices"), dict):
                raise ValueError(f"steps[{index}]: expected {{at_s, prices}}")
            prices = {
                s: to_decimal(p, what=f"steps[{index}].prices.{s}")
                for s, p in step["prices"].items()
            }
            parsed.append((float(step.get("at_s", 0)), prices))
        self.control.script_prices(parsed)
        return web.json_response({"ok": True})

    async def deposit(self, request: web.Request) -> web.Response:
        """Credit a deposit."""
        body = await _body(request)
        deposit = self.control.credit_deposit(
            _text(body, "venue"),
            _text(body, "asset"),
            to_decimal(_field(body, "amount"), what="amount"),
            api_key=body.get("api_key"),
            network=body.get("network"),
        )
        return web.json_response(deposit_view(deposit))

    async def debit(self, request: web.Request) -> web.Response:
        """Take an amount off an account to outside the simulation."""
        body = await _body(request)
        free = self.control.debit(
            _text(body, "venue"),
            _text(body, "asset"),
            to_decimal(_field(body, "amount"), what="amount"),
            api_key=body.get("api_key"),
        )
        return web.json_response({"free": format_decimal(free)})

    async def complete_withdrawal(self, request: web.Request) -> web.Response:
        """Complete a withdrawal now."""
        withdrawal = self.control.complete_withdrawal(request.match_info["id"])
        return web.json_response(withdrawal_view(withdrawal))

    async def fail_withdrawal(self, request: web.Request) -> web.Response:
        """Fail a withdrawal."""
        withdrawal = self.control.fail_withdrawal(request.match_info["id"])
        return web.json_response(withdrawal_view(withdrawal))

    async def faults(self, request: web.Request) -> web.Response:
        """The armed faults."""
        return web.json_response([f.as_dict() for f in self.control.faults.faults])

    async def inject_fault(self, request: web.Request) -> web.Response:
        """Arm a fault."""
        fault = self.control.inject_fault(await _body(request))
        return web.json_response(fault.as_dict())

    async def clear_faults(self, request: web.Request) -> web.Response:
        """Disarm faults."""
        self.control.clear_faults(request.query.get("venue"))
        return web.json_response({"ok": True})

    async def close_websockets(self, request: web.Request) -> web.Response:
        """Close websockets."""
        body = await _body(request, optional=True)
        closed = await self.control.close_websockets(body.get("venue"))
        return web.json_response({"closed": closed})

    async def end_user_streams(self, request: web.Request) -> web.Response:
        """End user data streams."""
        body = await _body(request, optional=True)
        ended = await self.control.end_user_streams(body.get("venue"))
        return web.json_response({"ended": ended})

    async def silence(self, request: web.Request) -> web.Response:
        """Silence or unsilence streams."""
        body = await _body(request)
        streams = _field(body, "streams")
        if not isinstance(streams, list):
            raise ValueError('streams: expected a list such as ["market", "user"]')
        self.control.silence(_text(body, "venue"), streams, bool(body.get("silent", True)))
        return web.json_response({"ok": True})

    async def reset(self, request: web.Request) -> web.Response:
        """Reset to the config's start."""
        self.control.reset()
        return web.json_response({"ok": True})


async def _body(request: web.Request, *, optional: bool = False) -> dict[str, Any]:
    text = await request.text()
    if not text and optional:
        return {}
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        raise ValueError("body: expected a JSON object") from None
    if not isinstance(body, dict):
        raise ValueError("body: expected a JSON object")
    return body


def _field(body: dict[str, Any], name: str) -> Any:
    if name not in body:
        raise ValueError(f"{name}: missing")
    return body[name]


def _text(body: dict[str, Any], name: str) -> str:
    value = _field(body, name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name}: expected a non-empty string")
    return value


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except (ValueError, KeyError, Rejected) as bad:
        message = bad.args[0] if isinstance(bad, KeyError) and bad.args else str(bad)
        return web.json_response({"error": message}, status=400)
