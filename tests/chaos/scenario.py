"""Randomised fault scenarios for the chaos campaign, each one a pure function of its seed.

A scenario picks a world (balances that need trades, a transfer, or both), one to three kill -9
points, and a handful of faults from the list a chaos run found costly: an order accepted then
timed out, dropped replies (orders and withdrawals), 429s, a withdrawal the venue fails (and
refunds) or one that is slow to land, websockets closing, genuine price moves and a price jump
beyond sanity, and orders or withdrawals the venue carries out late after dropping the client.
The same seed always gives the same scenario; what the daemon does with it depends on timing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

# balances per venue that the harness daemon (BTC 40 / ETH 40 / USDT 20, ETH forbidden on okx)
# has to rebalance: through a transfer, with trades only, or both
WORLDS: dict[str, dict[str, dict[str, str]]] = {
    "transfer": {"binance": {"BTC": "0.3", "USDT": "100"}, "okx": {"USDT": "30000"}},
    "btc-heavy": {"binance": {"BTC": "0.45", "USDT": "100"}, "okx": {"USDT": "30000"}},
    "trades-only": {"binance": {"BTC": "0.3", "USDT": "12000"}, "okx": {"USDT": "6000"}},
    "okx-sells": {"binance": {"ETH": "4", "USDT": "3000"}, "okx": {"BTC": "0.3", "USDT": "3000"}},
    "mixed": {
        "binance": {"BTC": "0.1", "ETH": "1", "USDT": "500"},
        "okx": {"BTC": "0.2", "USDT": "9000"},
    },
}

ORDER_PATH = {"binance": "/api/v3/order", "okx": "/api/v5/trade/batch-orders"}
WITHDRAW_PATH = {"binance": "/sapi/v1/capital/withdraw/apply", "okx": "/api/v5/asset/withdrawal"}
BALANCE_PATH = {"binance": "/api/v3/account", "okx": "/api/v5/account/balance"}
RATE_LIMITED = {
    "binance": {"code": -1003, "msg": "Too many requests; current limit is 1200 per minute."},
    "okx": {"code": "50011", "msg": "Too Many Requests", "data": []},
}
KILL_TRIGGERS = ("order_sent", "withdrawal_in_flight", "after")


@dataclass(frozen=True)
class Kill:
    """A kill -9 once ``trigger`` is seen (or ``after_s`` passed), then a restart."""

    trigger: str
    after_s: float
    down_s: float  # how long the daemon stays down


@dataclass(frozen=True)
class PriceMove:
    """Pin ``symbol`` at ``factor`` x its starting price ``at_s`` into the episode."""

    at_s: float
    symbol: str
    factor: str


@dataclass(frozen=True)
class Scenario:
    """Everything one episode does to the world, fixed by its seed."""

    seed: int
    world: str
    transfer_delay_s: float
    kills: tuple[Kill, ...]
    faults: tuple[dict[str, Any], ...]  # control-plane faults, armed one per start
    withdrawal: str  # "normal" | "fail" (the venue fails the first one) | "slow"
    slow_s: float  # a slow withdrawal lands this long after it was made
    prices: tuple[PriceMove, ...]
    websocket_drops: tuple[float, ...]  # seconds into the episode
    kinds: tuple[str, ...] = field(default=())  # what it rehearses, for the report

    @property
    def balances(self) -> dict[str, dict[str, str]]:
        """What each venue starts with."""
        return WORLDS[self.world]


def _fault(rng: random.Random, kind: str) -> dict[str, Any]:
    venue = rng.choice(["binance", "okx"])
    if kind == "accept_then_timeout":
        return {"venue": venue, "path": ORDER_PATH[venue], "method": "POST", "execute": True,
                "delay_ms": 12_000}  # fmt: skip
    if kind == "dropped_order_reply":
        return {"venue": venue, "path": ORDER_PATH[venue], "method": "POST", "execute": True,
                "drop": True}  # fmt: skip
    if kind == "dropped_withdrawal_reply":
        return {"venue": venue, "path": WITHDRAW_PATH[venue], "method": "POST", "execute": True,
                "drop": True}  # fmt: skip
    if kind == "rate_limited":
        path = rng.choice([BALANCE_PATH[venue], ORDER_PATH[venue]])
        return {"venue": venue, "path": path, "status": 429, "body": RATE_LIMITED[venue],
                "count": rng.randint(1, 3)}  # fmt: skip
    if kind == "late_order":
        return {"venue": venue, "path": ORDER_PATH[venue], "method": "POST", "late": True,
                "drop": True, "delay_ms": rng.randint(1500, 6000)}  # fmt: skip
    if kind == "late_withdrawal":
        return {"venue": venue, "path": WITHDRAW_PATH[venue], "method": "POST", "late": True,
                "drop": True, "delay_ms": rng.randint(1500, 6000)}  # fmt: skip
    raise ValueError(kind)


FAULT_KINDS = (
    "accept_then_timeout",
    "dropped_order_reply",
    "dropped_withdrawal_reply",
    "rate_limited",
    "late_order",
    "late_withdrawal",
)


def _seconds(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), 1)


def scenario(seed: int) -> Scenario:
    """The scenario of ``seed``."""
    rng = random.Random(seed)
    world = rng.choice(sorted(WORLDS))
    kills = tuple(
        Kill(
            rng.choice(KILL_TRIGGERS), round(rng.uniform(0.5, 6.0), 1), round(rng.uniform(0, 3), 1)
        )
        for _ in range(rng.randint(1, 3))
    )
    chosen = rng.sample(FAULT_KINDS, rng.randint(1, 3))
    faults = tuple(_fault(rng, kind) for kind in chosen)
    withdrawal = rng.choice(["normal", "normal", "fail", "slow"])
    prices: list[PriceMove] = []
    if rng.random() < 0.4:  # a genuine move, inside the sanity limit
        factor = rng.choice(["0.95", "0.97", "1.03", "1.06"])
        prices.append(
            PriceMove(round(rng.uniform(2, 20), 1), rng.choice(["BTC/USDT", "ETH/USDT"]), factor)
        )
    if rng.random() < 0.15:  # a jump beyond sanity: the daemon must halt until resumed
        prices.append(PriceMove(round(rng.uniform(2, 20), 1), "BTC/USDT", "1.2"))
    drops = tuple(_seconds(rng, 1, 15) for _ in range(rng.randint(0, 2)))
    kinds = (
        [f"kill:{k.trigger}" for k in kills]
        + list(chosen)
        + ([f"withdrawal:{withdrawal}"] if withdrawal != "normal" else [])
        + [f"price:{p.factor}" for p in prices]
        + (["websockets"] if drops else [])
    )
    return Scenario(
        seed=seed,
        world=world,
        transfer_delay_s=_seconds(rng, 0.5, 3.0),
        kills=kills,
        faults=faults,
        withdrawal=withdrawal,
        slow_s=_seconds(rng, 5, 20),
        prices=tuple(sorted(prices, key=lambda p: p.at_s)),
        websocket_drops=drops,
        kinds=tuple(kinds),
    )
