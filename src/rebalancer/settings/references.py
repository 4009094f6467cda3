"""Rules that tie one part of the config to another: venues used by portfolios and routes.

They run on the raw (merged) tree rather than the validated models, so a mistake elsewhere in a
portfolio never hides a reference to a venue that does not exist. Values of the wrong shape are
skipped here: the model validation reports them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rebalancer.settings.problems import Location

Tree = dict[str, Any]


def reference_problems(tree: Tree) -> Iterator[tuple[Location, str]]:
    """Every reference to a venue that has no ``[venues.*]`` table, and every repeated route."""
    venues = tree.get("venues")
    known = sorted(venues) if isinstance(venues, dict) else []
    yield from _portfolio_venues(tree.get("portfolios"), known)
    yield from _shared_venues(tree.get("portfolios"))
    yield from _route_venues(tree.get("routes"), known)
    yield from _repeated_routes(tree.get("routes"))


def _unknown(name: str, known: list[str]) -> str:
    listed = ", ".join(known) if known else "none defined"
    return f'"{name}" is not a [venues.*] table (venues: {listed})'


def _venue_uses(portfolios: object) -> Iterator[tuple[str, int, str]]:
    """Every (portfolio, position, venue name) in the portfolios' ``venues`` lists."""
    if not isinstance(portfolios, dict):
        return
    for name, portfolio in portfolios.items():
        used = portfolio.get("venues") if isinstance(portfolio, dict) else None
        if isinstance(used, list):
            yield from ((name, i, venue) for i, venue in enumerate(used) if isinstance(venue, str))


def _portfolio_venues(portfolios: object, known: list[str]) -> Iterator[tuple[Location, str]]:
    for name, index, venue in _venue_uses(portfolios):
        if venue not in known:
            yield ("portfolios", name, "venues", index), _unknown(venue, known)


def _shared_venues(portfolios: object) -> Iterator[tuple[Location, str]]:
    """A venue's balances belong to one portfolio: two portfolios cannot share an account."""
    owner: dict[str, str] = {}
    for name, index, venue in _venue_uses(portfolios):
        first = owner.setdefault(venue, name)
        if first != name:
            message = (
                f"{venue} is already used by portfolio {first}: each portfolio needs its own "
                "exchange account (a sub-account is a separate [venues.*] table)"
            )
            yield ("portfolios", name, "venues", index), message


def _route_venues(routes: object, known: list[str]) -> Iterator[tuple[Location, str]]:
    if not isinstance(routes, list):
        return
    for index, route in enumerate(routes):
        if not isinstance(route, dict):
            continue
        for end in ("from", "to"):
            venue = route.get(end)
            if isinstance(venue, str) and venue not in known:
                yield ("routes", index, end), _unknown(venue, known)


def _repeated_routes(routes: object) -> Iterator[tuple[Location, str]]:
    if not isinstance(routes, list):
        return
    seen: dict[tuple[object, ...], int] = {}
    for index, route in enumerate(routes):
        if not isinstance(route, dict):
            continue
        key = tuple(str(route.get(k)) for k in ("asset", "network", "from", "to"))
        if key in seen:
            yield ("routes", index), f"repeats routes[{seen[key]}] (same asset, network, from, to)"
        else:
            seen[key] = index
