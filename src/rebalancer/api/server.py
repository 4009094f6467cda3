"""Serving the API: bind (loopback unless told otherwise, never open without a token), stop.

The server refuses to start without a token, and refuses a non-loopback address unless a token
is set (so an API reachable from the network always needs one). It runs on the daemon's event
loop; stopping it gives open requests (the event streams) a short grace, then closes them.
"""

from __future__ import annotations

import ipaddress
import logging

from aiohttp import web

from rebalancer.domain.errors import ConfigError, Problem

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_S = 2.0


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> str:
    """The token to require; ``ConfigError`` for an API that would be open."""
    if not token:
        where = "a loopback address" if is_loopback(host) else f"{host} (not loopback)"
        raise ConfigError(
            [
                Problem(
                    "api.token", f"required to serve the API on {where}; set REBALANCER_API__TOKEN"
                )
            ]
        )
    return token


class ApiServer:
    """One aiohttp site on ``host:port``."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self._runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_GRACE_S, access_log=None)
        self._host = host
        self._port = port
        self.port: int | None = None  # the bound port (useful when asked for 0)

    async def start(self) -> None:
        """Bind and serve."""
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self._port
        if not is_loopback(self._host):
            log.warning("the HTTP API listens on %s, which is not loopback", self._host)
        log.info("HTTP API on http://%s:%s (token required but for /health)", self._host, self.port)

    async def stop(self) -> None:
        """Close connections (open streams end) and release the port."""
        await self._runner.cleanup()
