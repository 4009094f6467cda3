"""``rebalancer status [--json]``: ask the running daemon's API how it is and where it stands.

Reads ``GET /health`` and every portfolio (``GET /portfolios/{p}``) from the daemon named by the
config's ``[api]`` table (or ``--url``), with the token from ``REBALANCER_API__TOKEN``. Nothing
local is opened: no database, no state directory. For people at a shell, and for monitoring
scripts and container health checks (``--json``, and the exit status).

Exit status: 0 healthy; 1 not healthy or the daemon did not answer; 2 a wrong config or usage
(for example ``[api]`` not enabled).
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_UNHEALTHY = 1
EXIT_USAGE = 2
TIMEOUT_S = 10.0
ANY_ADDRESS = {"0.0.0.0", "::", ""}  # noqa: S104 - a bind address, answered on loopback


class Unreachable(Exception):
    """The daemon did not answer, or answered with something other than its API."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the config, an explicit URL and the output format."""
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="the daemon's config, for [api] host, port and token (default: $REBALANCER_CONFIG)",
    )
    parser.add_argument(
        "--url", default=None, help="the API's base URL (default: from [api] host and port)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(args: argparse.Namespace) -> int:
    """Print the daemon's health and portfolios; the exit status says whether it is healthy."""
    from rebalancer.domain.errors import ConfigError

    try:
        base, token = _target(args)
    except ConfigError as error:
        print(f"rebalancer status: the config is wrong:\n{error}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as error:
        print(f"rebalancer status: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        status, health = _get(base, "/health", token, ok=(200, 503))
        portfolios = [
            _get(base, f"/portfolios/{urllib.parse.quote(p['name'])}", token)[1]
            for p in _get(base, "/portfolios", token)[1]["portfolios"]
        ]
    except Unreachable as error:
        if args.json:
            print(json.dumps({"reachable": False, "error": str(error)}, indent=2))
        else:
            print(f"rebalancer status: the daemon did not answer at {base}: {error}")
        return EXIT_UNHEALTHY
    if args.json:
        document = {"reachable": True, "health": health, "portfolios": portfolios}
        print(json.dumps(document, indent=2))
    else:
        print("\n".join(status_lines(health, portfolios)))
    return EXIT_OK if status == 200 and health.get("healthy") else EXIT_UNHEALTHY


def _target(args: argparse.Namespace) -> tuple[str, str | None]:
    """The API's base URL and token, from ``--url`` or the config's ``[api]`` table."""
    from rebalancer.settings import load_config

    config = load_config(args.config)
    api = config.api
    token = api.token.get_secret_value() if api.token is not None else None
    if args.url:
        return args.url.rstrip("/"), token
    if not api.enabled:
        raise ValueError("[api] is not enabled in the config, so the daemon serves no status")
    host = "127.0.0.1" if api.host in ANY_ADDRESS else api.host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{api.port}", token


def _get(
    base: str, path: str, token: str | None, ok: tuple[int, ...] = (200,)
) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"{base}{path}")  # noqa: S310 - our own http URL
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as reply:  # noqa: S310
            return reply.status, _json(reply.read())
    except urllib.error.HTTPError as error:
        if error.code in ok:
            return error.code, _json(error.read())
        detail = _json(error.read()).get("error", error.reason)
        raise Unreachable(f"{path}: HTTP {error.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as error:
        raise Unreachable(str(getattr(error, "reason", error))) from None


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        raise Unreachable("the reply is not JSON (is this rebalancer's API?)") from None
    if not isinstance(value, dict):
        raise Unreachable("the reply is not a JSON object")
    return value


def status_lines(health: dict[str, Any], portfolios: list[dict[str, Any]]) -> list[str]:
    """The health and portfolios for a person."""
    state = "healthy" if health.get("healthy") else "NOT HEALTHY"
    lines = [
        f"rebalancer: {state}; breaker {health.get('breaker')}",
        f"  last check {health.get('last_check_at') or 'none yet'}; "
        f"last reconciliation {health.get('last_reconciled_at') or 'none yet'}",
    ]
    for venue in health.get("venues", []):
        ready = "ready" if venue["ready"] else "NOT READY"
        lines.append(f"  venue {venue['venue']}: {ready}, {venue['mode']}")
    lines += [f"  problem: {problem}" for problem in health.get("problems", [])]
    for portfolio in portfolios:
        lines.append(_portfolio_line(portfolio))
        lines += [
            f"    {a['asset']:<8} {a['weight']:>9}%  target {a['target']}% "
            f"band {a['lower']}..{a['upper']}%" + ("  OUTSIDE" if a["breached"] else "")
            for a in portfolio.get("assets", [])
        ]
        lines += [
            f"    set aside {s['amount']} {s['asset']} on {s['venue']} for a withdrawal "
            f"({s['id']}, since {s['created_at']})"
            for s in portfolio.get("set_asides", [])
        ]
    return lines


def _portfolio_line(portfolio: dict[str, Any]) -> str:
    name = portfolio["name"]
    if portfolio.get("unavailable"):
        return f"portfolio {name}: no weights now ({portfolio['unavailable']})"
    bands = "inside its bands" if portfolio.get("inside_bands") else "OUTSIDE its bands"
    busy = "; a check or run is going" if portfolio.get("busy") else ""
    return f"portfolio {name}: {portfolio['value']} {portfolio['quote']}, {bands}{busy}"
