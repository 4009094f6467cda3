"""Building blocks for daemon tests: config files, the simulator and daemon as subprocesses.

- ``write_sim_config`` / ``write_daemon_config``: a two-venue world (one Binance-protocol, one
  OKX-protocol venue) that needs a USDT transfer from okx to binance and an ETH buy on
  binance; prices static unless asked, so plans are deterministic.
- ``SimProcess``: ``rebalancer exchange-sim --print-connection`` in a subprocess; its
  connection JSON is written to a file a daemon config can name as ``sim_connection``.
- ``DaemonProcess``: ``rebalancer run`` in a subprocess, its log in a file; wait for a line,
  signal it, wait for its exit.
- ``Control``: the simulator's control plane over HTTP (order log, balances, transfers).

Every wait has a deadline; nothing sleeps a fixed time to decide an outcome.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[2]
REBALANCER = REPO / ".venv" / "bin" / "rebalancer"
T = TypeVar("T")

PRICES = {"BTC/USDT": "60000", "ETH/USDT": "3000"}
TARGETS = {"BTC": Decimal(40), "ETH": Decimal(40), "USDT": Decimal(20)}
BAND_POINTS = Decimal(5)
# what each venue starts with unless a test says otherwise: BTC and cash on binance, cash on okx
FUNDED = {"binance": {"BTC": "0.3", "USDT": "100"}, "okx": {"USDT": "30000"}}


def write_sim_config(
    path: Path,
    *,
    transfer_delay_s: float = 1.0,
    prices: str = "static",
    balances: dict[str, dict[str, str]] | None = None,
) -> Path:
    """The simulator TOML: binance (Binance protocol) and okx (OKX protocol), USDT networks."""
    funded = balances or FUNDED
    start = ", ".join(f'"{s}" = "{p}"' for s, p in PRICES.items())
    lines = [
        "[simulator]",
        "price_interval_ms = 100",
        "stream_interval_ms = 50",
        "[prices]",
        f'source = "{prices}"',
        "seed = 3",
        "annual_volatility = 0.5",
        f"start = {{ {start} }}",
    ]
    for venue, protocol in (("binance", "binance"), ("okx", "okx")):
        assets = ", ".join(f'{a} = "{v}"' for a, v in funded[venue].items())
        lines += [
            f"[venues.{venue}]",
            f'protocol = "{protocol}"',
            'markets = ["BTC/USDT", "ETH/USDT"]',
            f"[[venues.{venue}.accounts]]",
            f'api_key = "{venue}-test-key"',
            f'secret = "{venue}-test-secret"',
            f'passphrase = "{venue}-test-pass"' if protocol == "okx" else "",
            f"balances = {{ {assets} }}",
            f"[[venues.{venue}.networks]]",
            'asset = "USDT"',
            'network = "TRC20"',
            'fee = "1"',
            'min_amount = "10"',
            f"delay_s = {transfer_delay_s}",
            "default = true",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_daemon_config(
    path: Path,
    *,
    state_dir: Path,
    connection: Path | None = None,
    approval_above: str | None = None,
    check_interval_s: float = 2.0,
    shutdown_grace_s: float = 10.0,
    transfer_eta_s: int = 1,
    max_order_notional: str | None = None,
    portfolio_extra: str = "",
    portfolio_keys: str = "",
) -> Path:
    """The daemon TOML: paper venues (``connection`` None) or ones on an external simulator.

    ``portfolio_extra`` is more TOML for ``[portfolios.core]`` (sub-tables such as
    ``[portfolios.core.contributions]``), written after its own tables; ``portfolio_keys`` are
    keys of ``[portfolios.core]`` itself (``cooldown_days = 1``).
    """
    weights = "\n".join(f'{asset} = "{weight}"' for asset, weight in TARGETS.items())
    lines = [
        "[portfolios.core]",
        'quote = "USDT"',
        'venues = ["binance", "okx"]',
        'rebalance_to = "band_edge"',
        portfolio_keys,
        "[portfolios.core.weights]",
        weights,
        "[portfolios.core.drift_band]",
        'type = "absolute"',
        f'percent = "{BAND_POINTS}"',
        "[portfolios.core.limits]",
        'min_trade_notional = "10"',
        f'max_order_notional = "{max_order_notional}"' if max_order_notional else "",
        "[portfolios.core.forbidden_assets]",
        'okx = ["ETH"]',
        "[portfolios.core.execution]",
        "max_rounds = 3",
        "transfer_timeout_s = 60",
    ]
    if approval_above is not None:
        lines += ["[portfolios.core.approval]", f'required_above_notional = "{approval_above}"']
    if portfolio_extra:
        lines.append(portfolio_extra)
    for venue in ("binance", "okx"):
        lines += [f"[venues.{venue}]", f'exchange = "{venue}"']
        lines.append(
            "simulated = true" if connection is None else f'sim_connection = "{connection}"'
        )
    for source, destination in (("okx", "binance"), ("binance", "okx")):
        lines += [
            "[[routes]]",
            'asset = "USDT"',
            'network = "TRC20"',
            f'from = "{source}"',
            f'to = "{destination}"',
            'fee = "1"',
            'min_amount = "10"',
            f"eta_s = {transfer_eta_s}",
        ]
    lines += [
        "[daemon]",
        f'state_dir = "{state_dir}"',
        f"check_interval_s = {check_interval_s}",
        f"shutdown_grace_s = {shutdown_grace_s}",
        "misfire_grace_s = 30",
        "[market_data]",
        "max_age_s = 20",
        "stream_silent_after_s = 5",
        "rest_poll_interval_s = 1",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wait_for(what: str, probe: Callable[[], T | None], timeout_s: float, every_s: float = 0.1) -> T:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(every_s)


def child_env() -> dict[str, str]:
    """The environment for our subprocesses: no config or secrets leaking in from outside."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("REBALANCER_") and key != "PYTHONWARNINGS"
    }


@dataclass
class Control:
    """The simulator's control plane over HTTP."""

    url: str

    def get(self, path: str) -> Any:
        """GET a control endpoint and parse its JSON."""
        with urllib.request.urlopen(f"{self.url}{path}", timeout=10) as reply:
            return json.loads(reply.read())

    def orders(self) -> list[dict[str, Any]]:
        """Every order the simulated venues received, oldest first."""
        reply = self.get("/orders")
        return list(reply["orders"] if isinstance(reply, dict) else reply)

    def transfers(self) -> dict[str, list[dict[str, Any]]]:
        """Every withdrawal and deposit."""
        return dict(self.get("/transfers"))

    def balances(self, venue: str) -> dict[str, Decimal]:
        """Free balances of the venue's (only) account."""
        accounts = self.get("/state")["venues"][venue]["accounts"]
        (account,) = accounts.values()
        return {asset: Decimal(b["free"]) for asset, b in account.items()}

    def mids(self, venue: str) -> dict[str, Decimal]:
        """Mid prices of the venue's markets."""
        return {s: Decimal(m) for s, m in self.get("/state")["venues"][venue]["mids"].items()}

    def weights(self) -> dict[str, Decimal]:
        """The portfolio's weights (percent) across both venues, valued at binance's mids."""
        mids = self.mids("binance")
        totals: dict[str, Decimal] = {}
        for venue in ("binance", "okx"):
            for asset, amount in self.balances(venue).items():
                totals[asset] = totals.get(asset, Decimal(0)) + amount
        value = {
            asset: amount * (mids[f"{asset}/USDT"] if asset != "USDT" else Decimal(1))
            for asset, amount in totals.items()
        }
        whole = sum(value.values(), Decimal(0))
        return {asset: v / whole * 100 for asset, v in value.items()}


def inside_bands(weights: dict[str, Decimal]) -> bool:
    """Every target asset within ``BAND_POINTS`` of its target."""
    return all(abs(weights.get(a, Decimal(0)) - t) <= BAND_POINTS for a, t in TARGETS.items())


@dataclass
class SimProcess:
    """``rebalancer exchange-sim`` in a subprocess; ``stop()`` always."""

    config: Path
    connection_file: Path
    process: subprocess.Popen[str] | None = None
    connection: dict[str, Any] = field(default_factory=dict)

    def start(self, timeout_s: float = 30.0) -> SimProcess:
        """Start it and wait for its connection line; write it to ``connection_file``."""
        self.process = subprocess.Popen(
            [str(REBALANCER), "exchange-sim", "--config", str(self.config), "--print-connection"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=child_env(),
        )
        assert self.process.stdout is not None
        line = _read_line(self.process, timeout_s)
        self.connection = json.loads(line)
        self.connection_file.write_text(json.dumps(self.connection), encoding="utf-8")
        return self

    @property
    def control(self) -> Control:
        """The control plane."""
        return Control(str(self.connection["control_url"]))

    def stop(self) -> None:
        """Terminate it and wait (killed if it does not go)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()


def _read_line(process: subprocess.Popen[str], timeout_s: float) -> str:
    """The first stdout line, within ``timeout_s`` (a reader thread keeps the deadline)."""
    import threading

    box: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: box.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout_s)
    if not box or not box[0].strip():
        process.kill()
        raise AssertionError(f"the simulator printed no connection line in {timeout_s} s")
    return box[0]


@dataclass
class DaemonProcess:
    """``rebalancer run`` in a subprocess with its log (stderr) in ``log_file``."""

    config: Path
    log_file: Path
    extra_args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)  # added to the child's environment
    process: subprocess.Popen[bytes] | None = None
    _offset: int = 0

    def start(self) -> DaemonProcess:
        """Start it; the log file collects both streams."""
        self._offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [str(REBALANCER), "run", "--config", str(self.config), *self.extra_args],
                stdout=log,
                stderr=log,
                env={**child_env(), **self.env},
            )
        return self

    def log(self) -> str:
        """Everything this start of the daemon logged so far."""
        data = self.log_file.read_bytes()[self._offset :]
        return data.decode(errors="replace")

    def wait_for_log(self, pattern: str, timeout_s: float) -> re.Match[str]:
        """Wait for a log line matching ``pattern`` (fails early if the daemon exits)."""

        def probe() -> re.Match[str] | None:
            found = re.search(pattern, self.log())
            if found is None and self.process is not None and self.process.poll() is not None:
                raise AssertionError(
                    f"daemon exited {self.process.returncode} before {pattern!r}:\n{self.log()}"
                )
            return found

        return wait_for(f"log line {pattern!r}", probe, timeout_s)

    def signal(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the daemon."""
        assert self.process is not None
        self.process.send_signal(sig)

    def wait(self, timeout_s: float) -> int:
        """Wait for the exit status."""
        assert self.process is not None
        return self.process.wait(timeout=timeout_s)

    def stop(self) -> None:
        """Make sure it is gone (SIGKILL if SIGTERM does not do it)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def cli(*args: str, timeout_s: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run a ``rebalancer`` command to completion and capture its output."""
    return subprocess.run(
        [str(REBALANCER), *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=child_env(),
        check=False,
    )
