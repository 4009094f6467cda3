"""OctoBot's index mode as a run cycle: every rebalance sells everything, then buys back.

OctoBot's Index trading mode rebalances by converting every indexed coin to the reference
market and splitting the proceeds by weight (its issue #2791 calls this very inefficient). The
backtest compares a policy with this way of executing it: the daemon's own triggers decide
when; each time, a ``liquidate`` run sells everything and a run to target buys it all back,
both planned and executed by the daemon's code.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import Policy, RebalanceTo
from rebalancer.domain.records import RunRecord
from rebalancer.domain.runs import Trigger
from rebalancer.domain.snapshot import Snapshot
from rebalancer.services.rebalance_cycle import RebalanceCycle


class SellAllCycle(RebalanceCycle):
    """A run cycle whose full runs are a liquidation followed by a run to target."""

    async def start(
        self,
        policy: Policy,
        run_type: RunType,
        trigger: Trigger,
        *,
        amount: Decimal | None = None,
        unreconciled: frozenset[str] = frozenset(),
        why: str | None = None,
        snapshot: Snapshot | None = None,
    ) -> RunRecord:
        """Sell everything, then buy the targets (other run types run as asked)."""
        if run_type is not RunType.FULL:
            return await super().start(
                policy,
                run_type,
                trigger,
                amount=amount,
                unreconciled=unreconciled,
                why=why,
                snapshot=snapshot,
            )
        sold = await super().start(
            policy, RunType.LIQUIDATE, trigger, unreconciled=unreconciled, why=why
        )
        rebuy = replace(policy, rebalance_to=RebalanceTo.TARGET)
        return await super().start(
            rebuy,
            RunType.FULL,
            trigger,
            unreconciled=unreconciled,
            why=f"buying back after run {sold.id} sold everything",
        )
