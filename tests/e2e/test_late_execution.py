"""A venue executes an order after the daemon lost the connection: it is adopted, never re-sent.

The simulator's "late" fault takes the whole request, hangs up on the client at once and
carries it out three seconds later, as a busy exchange can. The daemon hears a dropped
connection (ambiguous), looks the order up by its client id and does not find it yet. It used to
call that "never received" after a one-second grace and send a new attempt: both executed, and
the node traded twice. "Not found" is final only once the venue can no longer carry the request
out (Binance refuses it past ``recvWindow``, OKX past its 30 s timestamp limit); until then the
daemon keeps looking, finds the late order and adopts it. On both protocols.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from rebalancer.domain.records import OrderIntentState

from .conftest import DaemonFactory
from .faults_harness import (
    OKX_ORDER_PATH,
    OKX_SELLS,
    ORDER_PATH,
    TRADES_ONLY,
    assert_each_order_once,
    inject,
    start_sim,
    stored,
)
from .harness import SimProcess, inside_bands, write_daemon_config
from .invariants import check_episode, dumps

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

LATE_BY_MS = 3000


@pytest.fixture
def sims() -> Iterator[list[SimProcess]]:
    started: list[SimProcess] = []
    yield started
    for sim in started:
        sim.stop()


@pytest.mark.parametrize(
    ("venue", "order_path", "balances"),
    [("binance", ORDER_PATH, TRADES_ONLY), ("okx", OKX_ORDER_PATH, OKX_SELLS)],
)
def test_an_order_the_venue_carries_out_late_is_adopted_not_sent_again(
    tmp_path: Path,
    sims: list[SimProcess],
    daemon_factory: DaemonFactory,
    venue: str,
    order_path: str,
    balances: dict[str, dict[str, str]],
) -> None:
    sim = start_sim(tmp_path, "sim", balances=balances)
    sims.append(sim)
    state = tmp_path / "state"
    config = write_daemon_config(
        tmp_path / "daemon.toml", state_dir=state, connection=sim.connection_file
    )
    inject(
        sim.control, venue=venue, path=order_path, method="POST", delay_ms=LATE_BY_MS,
        drop=True, late=True,
    )  # fmt: skip

    daemon = daemon_factory(config, "--once").start()
    assert daemon.wait(timeout_s=180) == 0, daemon.log()

    on_venue = [o for o in sim.control.orders() if o["venue"] == venue]
    late = on_venue[0]
    assert late["state"] == "filled"  # the venue did carry it out
    after = stored(state)
    adopted = next(o for o in after.orders if o.client_order_id == late["client_order_id"])
    assert adopted.state is OrderIntentState.FILLED
    assert adopted.filled == adopted.amount
    attempts = Counter((o.run_id, o.round, o.node_id) for o in after.orders if o.venue == venue)
    assert set(attempts.values()) == {1}, f"a node was sent more than once: {attempts}"
    assert_each_order_once(sim.control.orders(), after.orders)
    figures = check_episode(state, config, sim.control.orders(), sim.control.transfers(), balances)
    assert not figures["problems"], dumps(figures)
    assert inside_bands(sim.control.weights())
