"""One chaos episode: the simulator and the daemon as subprocesses, a scenario played on them.

The daemon runs as a service (a check every 2 s). Faults are armed through the simulator's
control plane before each start; the daemon is killed with SIGKILL at each kill point (an order
reached the venue, a withdrawal is in flight, or some seconds passed) and started again.
Meanwhile withdrawals are failed or held as the scenario says, prices move, websockets close.
After the last start the episode waits until the portfolio settles (an idle check inside the
bands, nothing in transit, every late request carried out, every price move made and seen),
resuming the breaker when a jump, a streak of failures or a slippage stopped it, then stops the
daemon with SIGTERM. Every wait is bounded.
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.chaos.scenario import Scenario
from tests.e2e.faults_harness import inject, post
from tests.e2e.harness import (
    PRICES,
    DaemonProcess,
    SimProcess,
    cli,
    write_daemon_config,
    write_sim_config,
)

CHECK_RESULT = re.compile(
    r"core: (idle|skipped|ran|failed) \((within band|circuit breaker is (?:HALTED|REDUCING)|)"
)
POLL_S = 0.2
TRIGGER_TIMEOUT_S = 30.0  # a kill point that never comes is taken after this long anyway
SETTLE_TIMEOUT_S = 150.0
MAX_RESUMES = 3
AFTER_MOVE_S = 6.0  # three of the daemon's checks: the last price move has been seen
SLOW_DELAY_S = 600  # a slow withdrawal: the network would take this long; the episode lands it


@dataclass
class Episode:
    """The scenario being played, the processes and what happened so far."""

    scenario: Scenario
    workdir: Path
    sim: SimProcess | None = None
    daemon: DaemonProcess | None = None
    config: Path | None = None
    started: float = field(default_factory=time.monotonic)
    failed_withdrawals: set[str] = field(default_factory=set)
    seen_withdrawals: dict[str, float] = field(default_factory=dict)
    prices_done: int = 0
    last_move_at: float = 0.0
    drops_done: int = 0
    kills: int = 0
    resumes: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def state(self) -> Path:
        """The daemon's state directory."""
        return self.workdir / "state"

    # -- set-up and tear-down ---------------------------------------------------------------

    def start_world(self) -> None:
        """Start the simulator and write the daemon's config for it."""
        s = self.scenario
        delay = SLOW_DELAY_S if s.withdrawal == "slow" else s.transfer_delay_s
        sim_config = write_sim_config(
            self.workdir / "sim.toml", transfer_delay_s=delay, balances=s.balances
        )
        self.sim = SimProcess(sim_config, self.workdir / "sim-connection.json").start()
        self.config = write_daemon_config(
            self.workdir / "daemon.toml", state_dir=self.state, connection=self.sim.connection_file
        )

    def stop(self) -> None:
        """Stop whatever still runs."""
        if self.daemon is not None:
            self.daemon.stop()
        if self.sim is not None:
            self.sim.stop()

    # -- playing the scenario ---------------------------------------------------------------

    def play(self) -> None:
        """Every start with its faults and kill, then the settling phase, then SIGTERM."""
        s = self.scenario
        starts = len(s.kills) + 1
        for index in range(starts):
            for number, fault in enumerate(s.faults):
                if min(number, starts - 1) == index:
                    inject(self.control, **fault)
            self._start_daemon()
            if index < len(s.kills):
                self._kill_at(s.kills[index].trigger, s.kills[index].after_s)
                self._wait(lambda: False, s.kills[index].down_s)  # down for a while
        self._settle()
        assert self.daemon is not None
        self.daemon.signal(signal.SIGTERM)
        code = self.daemon.wait(timeout_s=60)
        if code != 0:
            self.notes.append(f"the daemon exited {code} on SIGTERM")

    @property
    def control(self) -> Any:
        """The simulator's control plane."""
        assert self.sim is not None
        return self.sim.control

    def _start_daemon(self) -> None:
        assert self.config is not None
        self.daemon = DaemonProcess(self.config, self.workdir / "daemon.log").start()

    def _kill_at(self, trigger: str, after_s: float) -> None:
        assert self.daemon is not None
        orders_before = len(self.control.orders())
        since = time.monotonic()

        def reached() -> bool:
            if trigger == "order_sent":
                return len(self.control.orders()) > orders_before
            if trigger == "withdrawal_in_flight":
                return any(w["state"] == "pending" for w in self._withdrawals())
            return time.monotonic() - since >= after_s

        self._wait(reached, TRIGGER_TIMEOUT_S)
        self.daemon.signal(signal.SIGKILL)
        self.daemon.wait(timeout_s=20)
        self.kills += 1

    def _settle(self) -> None:
        """Wait for an idle check inside the bands with nothing moving; resume a halt."""
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while time.monotonic() < deadline:
            results = CHECK_RESULT.findall(self.daemon.log() if self.daemon is not None else "")
            last = results[-1] if results else ("", "")
            if last[1].startswith("circuit breaker") and self.resumes < MAX_RESUMES:
                self._resume()
                continue
            if last == ("idle", "within band") and self._quiet() and self._moves_seen():
                return
            self._wait(lambda: False, 1.0)
        self.notes.append(f"did not settle within {SETTLE_TIMEOUT_S:.0f} s")

    def _resume(self) -> None:
        assert self.config is not None
        done = cli("resume", "--config", str(self.config), "--reason", "chaos: go on")
        self.resumes += 1
        if done.returncode != 0:
            self.notes.append(f"resume failed: {done.stderr.strip()}")
        self._wait(lambda: False, 2.5)  # the next check adopts it

    def _moves_seen(self) -> bool:
        """Every price move of the scenario made, the last a few checks ago (a jump that the
        episode ends before would prove nothing)."""
        done = self.prices_done == len(self.scenario.prices)
        return done and time.monotonic() - self.last_move_at >= AFTER_MOVE_S

    def _quiet(self) -> bool:
        """Nothing in transit and no late request still held by the venue."""
        if any(w["state"] == "pending" for w in self._withdrawals()):
            return False
        listed = self.control.get("/faults")
        faults = listed["faults"] if isinstance(listed, dict) else listed
        return all(not f["late"] or f["carried_out"] == f["fired"] for f in faults)

    # -- the world moving on its own ----------------------------------------------------------

    def _wait(self, condition: Callable[[], bool], timeout_s: float) -> bool:
        """Poll ``condition`` while the world moves (``_tick``); True when it came."""
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            self._tick()
            if condition():
                return True
            time.sleep(POLL_S)
        return False

    def _withdrawals(self) -> list[dict[str, Any]]:
        return list(self.control.transfers()["withdrawals"])

    def _tick(self) -> None:
        """Fail or land withdrawals, move prices and close websockets on the scenario's cue."""
        s = self.scenario
        now = time.monotonic()
        for w in self._withdrawals():
            seen = self.seen_withdrawals.setdefault(w["id"], now)
            if w["state"] != "pending":
                continue
            if s.withdrawal == "fail" and not self.failed_withdrawals and now - seen > 0.3:
                post(self.control, f"/withdrawals/{w['id']}/fail", {})
                self.failed_withdrawals.add(w["id"])
            elif s.withdrawal == "slow" and now - seen > s.slow_s:
                post(self.control, f"/withdrawals/{w['id']}/complete", {})
        elapsed = now - self.started
        while self.prices_done < len(s.prices) and s.prices[self.prices_done].at_s <= elapsed:
            move = s.prices[self.prices_done]
            price = Decimal(PRICES[move.symbol]) * Decimal(move.factor)
            post(self.control, "/prices", {"symbol": move.symbol, "price": str(price)})
            self.prices_done += 1
            self.last_move_at = now
        while (
            self.drops_done < len(s.websocket_drops)
            and s.websocket_drops[self.drops_done] <= elapsed
        ):
            post(self.control, "/websockets/close", {})
            post(self.control, "/user-streams/end", {})
            self.drops_done += 1
