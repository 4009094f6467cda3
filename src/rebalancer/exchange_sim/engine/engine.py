"""The engine: several venues in one process, the prices that drive them and the transfers
between them.

Trading happens on a ``Venue`` (``engine.venue(name).place_order(...)``); the engine owns what
spans venues: the price path, pinned prices, deposit addresses, withdrawals that arrive as
deposits elsewhere, and the listeners every venue's events go to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from rebalancer.domain.market import Market
from rebalancer.domain.money import ZERO, format_decimal
from rebalancer.exchange_sim.engine.account import Account
from rebalancer.exchange_sim.engine.book import BookShape
from rebalancer.exchange_sim.engine.clock import Clock
from rebalancer.exchange_sim.engine.errors import Rejected, RejectReason
from rebalancer.exchange_sim.engine.events import (
    BalanceAdjusted,
    BalancesChanged,
    Event,
    Listener,
    PricesMoved,
)
from rebalancer.exchange_sim.engine.ledger import LedgerKind
from rebalancer.exchange_sim.engine.orders import Order
from rebalancer.exchange_sim.engine.prices import PricePath
from rebalancer.exchange_sim.engine.transfers import (
    Deposit,
    Destination,
    Network,
    TransferState,
    Withdrawal,
    deposit_address_for,
    txid_for,
)
from rebalancer.exchange_sim.engine.venue import Venue

DEFAULT_NETWORK = "SIM"


class Engine:
    """Venues, prices and transfers of one simulation; see the package docstring for the API."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.venues: dict[str, Venue] = {}
        self.networks: dict[str, dict[tuple[str, str], Network]] = {}
        self.addresses: dict[str, Destination] = {}
        self.withdrawals: dict[str, Withdrawal] = {}
        self.deposits: dict[str, Deposit] = {}
        self._listeners: list[Listener] = []
        self._path: PricePath | None = None
        self._path_started_s = 0.0
        self.pinned: set[tuple[str, str]] = set()
        self._transfer_seq = 0
        self._pending: dict[str, None] = {}  # ids of PENDING withdrawals, oldest first

    # -- set-up -------------------------------------------------------------------------------
    def now_ms(self) -> int:
        """The engine's time in epoch milliseconds."""
        return int(self.clock() * 1000)

    def add_venue(
        self,
        name: str,
        markets: Iterable[Market],
        shape: BookShape,
        *,
        price_offset_bps: Decimal = ZERO,
    ) -> Venue:
        """Create a venue trading ``markets`` with books of ``shape``.

        ``price_offset_bps`` shifts the path's prices on this venue (the pinned ones stay).
        """
        if name in self.venues:
            raise ValueError(f"venue {name!r}: defined twice")
        venue = Venue(
            name,
            list(markets),
            shape,
            emit=self._emit,
            now_ms=self.now_ms,
            listened=self._listened,
            price_offset_bps=price_offset_bps,
        )
        self.venues[name] = venue
        self.networks[name] = {}
        return venue

    def add_account(self, venue: str, account: Account) -> None:
        """Register an account and the deposit addresses of every network it may use."""
        self.venue(venue).add_account(account)
        for asset, network in self.networks[venue]:
            self._register_address(venue, account.api_key, asset, network)

    def add_network(self, venue: str, network: Network, address: str | None = None) -> None:
        """Let ``venue`` move ``network.asset`` over ``network.network``.

        ``address`` fixes the deposit address of the venue's accounts (else one is derived).
        """
        self.networks[venue][(network.asset, network.network)] = network
        for key in self.venue(venue).accounts:
            self._register_address(venue, key, network.asset, network.network, address)

    def _register_address(
        self, venue: str, key: str, asset: str, network: str, address: str | None = None
    ) -> None:
        where = Destination(venue, key, asset, network)
        self.addresses[address or deposit_address_for(venue, key, asset, network)] = where

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every event from now on; return a function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _listened(self) -> bool:
        """True when someone subscribed (else a venue need not build its events)."""
        return bool(self._listeners)

    def _emit(self, event: Event) -> None:
        for listener in list(self._listeners):
            listener(event)

    def venue(self, name: str) -> Venue:
        """A venue by name (``KeyError`` naming it if unknown)."""
        try:
            return self.venues[name]
        except KeyError:
            raise KeyError(f"unknown venue {name!r}") from None

    # -- prices -------------------------------------------------------------------------------
    def set_price_path(self, path: PricePath) -> None:
        """Drive every venue's unpinned markets from ``path``, starting now."""
        self._path = path
        self._path_started_s = self.clock()
        self.advance()

    def set_price(self, venue: str, symbol: str, mid: Decimal) -> None:
        """Pin a market's mid on one venue: the path stops driving it until ``unpin``."""
        self.venue(venue).market(symbol)
        self.pinned.add((venue, symbol))
        self.venues[venue].set_mid(symbol, mid)
        self._emit(PricesMoved(venue, (symbol,), self.now_ms()))

    def unpin(self, venue: str, symbol: str) -> None:
        """Let the price path drive this market again from the next ``advance``."""
        self.pinned.discard((venue, symbol))

    def advance(self) -> None:
        """Bring prices to the clock's time and complete withdrawals that are due."""
        if self._path is not None:
            prices = self._path.prices_at(self.clock() - self._path_started_s)
            for name, venue in self.venues.items():
                moved = []
                for symbol, mid in prices.items():
                    if symbol in venue.markets and (name, symbol) not in self.pinned:
                        venue.set_mid(symbol, _shifted(mid, venue.price_offset_bps))
                        moved.append(symbol)
                if moved:
                    self._emit(PricesMoved(name, tuple(moved), self.now_ms()))
        if self._pending:
            now = self.now_ms()
            for withdrawal in self.pending_withdrawals():
                if withdrawal.due_ms <= now:
                    self.complete_withdrawal(withdrawal.id)

    def pending_withdrawals(self) -> list[Withdrawal]:
        """Every withdrawal still on its way, oldest first."""
        pending = []
        for withdrawal_id in list(self._pending):
            withdrawal = self.withdrawals.get(withdrawal_id)
            if withdrawal is None or withdrawal.state is not TransferState.PENDING:
                del self._pending[withdrawal_id]  # finished, or cleared by a reset
            else:
                pending.append(withdrawal)
        return pending

    # -- funding ------------------------------------------------------------------------------
    def network(self, venue: str, asset: str, network: str | None = None) -> Network:
        """The named network for ``asset`` on ``venue``, or its default; ``UNKNOWN_NETWORK``."""
        candidates = [n for (a, _), n in self.networks[venue].items() if a == asset]
        if network is not None:
            candidates = [n for n in candidates if n.network == network]
        if not candidates:
            raise Rejected(
                RejectReason.UNKNOWN_NETWORK, f"{asset} cannot move on network {network!r}"
            )
        return next((n for n in candidates if n.is_default), candidates[0])

    def deposit_address(
        self, venue: str, key: str, asset: str, network: str | None = None
    ) -> tuple[Network, str]:
        """The network and address where ``asset`` sent to this account is credited."""
        self.venue(venue).account(key)
        chosen = self.network(venue, asset, network)
        for address, where in self.addresses.items():
            if where == Destination(venue, key, asset, chosen.network):
                return chosen, address
        address = deposit_address_for(venue, key, asset, chosen.network)
        self._register_address(venue, key, asset, chosen.network, address)
        return chosen, address

    def withdraw(
        self,
        venue: str,
        key: str,
        asset: str,
        amount: Decimal,
        address: str,
        *,
        network: str | None = None,
        tag: str | None = None,
        client_id: str | None = None,
    ) -> Withdrawal:
        """Take ``amount`` from the account now; ``amount - fee`` arrives after the delay.

        A ``client_id`` the account already used (on any earlier withdrawal, finished or not)
        is refused and nothing moves: the id names one withdrawal for ever, so a client that
        re-sends after a lost reply cannot withdraw twice.
        """
        account = self.venue(venue).account(key)
        if client_id is not None and self.find_withdrawal(venue, key, client_id) is not None:
            raise Rejected(
                RejectReason.DUPLICATE_WITHDRAWAL_ID,
                f"withdrawal client id {client_id!r} was already used",
            )
        chosen = self.network(venue, asset, network)
        if not chosen.withdraw_enabled:
            raise Rejected(RejectReason.WITHDRAW_DISABLED, f"{asset} withdrawals are suspended")
        if amount < chosen.min_amount or amount <= chosen.fee:
            raise Rejected(
                RejectReason.WITHDRAW_BELOW_MIN,
                f"{format_decimal(amount)} {asset} below the minimum "
                f"{format_decimal(max(chosen.min_amount, chosen.fee))}",
            )
        account.debit(asset, amount)
        now = self.now_ms()
        self._transfer_seq += 1
        withdrawal = Withdrawal(
            id=f"W{self._transfer_seq:08d}",
            venue=venue,
            account=key,
            asset=asset,
            network=chosen.network,
            address=address,
            tag=tag,
            amount=amount,
            fee=chosen.fee,
            applied_ms=now,
            due_ms=now + int(chosen.delay_s * 1000),
            txid=txid_for("withdrawal", self._transfer_seq, venue, chosen.network),
            client_id=client_id,
            destination=self.addresses.get(address),
        )
        withdrawal.move_to(TransferState.PENDING, now)
        self.withdrawals[withdrawal.id] = withdrawal
        self._pending[withdrawal.id] = None
        self.venue(venue).record(
            key, asset, LedgerKind.WITHDRAWAL, -amount, reference=withdrawal.id
        )
        self._announce(venue, account, asset, -amount, "withdrawal")
        return withdrawal

    def complete_withdrawal(self, withdrawal_id: str) -> Withdrawal:
        """Finish a pending withdrawal now: it arrives as a deposit if the address is ours."""
        withdrawal = self._pending_withdrawal(withdrawal_id)
        withdrawal.move_to(TransferState.COMPLETED, self.now_ms())
        self._pending.pop(withdrawal_id, None)
        where = withdrawal.destination
        if where is not None:
            deposit = self._deposit(
                where, withdrawal.amount - withdrawal.fee, withdrawal.address, withdrawal.txid
            )
            deposit.withdrawal_id = withdrawal.id
            withdrawal.deposit_id = deposit.id
        return withdrawal

    def fail_withdrawal(self, withdrawal_id: str) -> Withdrawal:
        """Fail a pending withdrawal and return the whole amount to the source account."""
        withdrawal = self._pending_withdrawal(withdrawal_id)
        withdrawal.move_to(TransferState.FAILED, self.now_ms())
        self._pending.pop(withdrawal_id, None)
        account = self.venue(withdrawal.venue).account(withdrawal.account)
        account.credit(withdrawal.asset, withdrawal.amount)
        self.venue(withdrawal.venue).record(
            withdrawal.account,
            withdrawal.asset,
            LedgerKind.REFUND,
            withdrawal.amount,
            reference=withdrawal.id,
        )
        self._announce(withdrawal.venue, account, withdrawal.asset, withdrawal.amount, "refund")
        return withdrawal

    def credit_deposit(
        self, venue: str, key: str, asset: str, amount: Decimal, network: str | None = None
    ) -> Deposit:
        """Credit a deposit from outside the simulation (a person topping up an account)."""
        chosen, address = self.deposit_address(venue, key, asset, network)
        self._transfer_seq += 1
        where = Destination(venue, key, asset, chosen.network)
        txid = txid_for("deposit", self._transfer_seq, venue, chosen.network)
        return self._deposit(where, amount, address, txid)

    def _deposit(self, where: Destination, amount: Decimal, address: str, txid: str) -> Deposit:
        account = self.venue(where.venue).account(where.account)
        account.credit(where.asset, amount)
        self._transfer_seq += 1
        deposit = Deposit(
            id=f"D{self._transfer_seq:08d}",
            venue=where.venue,
            account=where.account,
            asset=where.asset,
            network=where.network,
            address=address,
            amount=amount,
            time_ms=self.now_ms(),
            txid=txid,
        )
        self.deposits[deposit.id] = deposit
        self.venue(where.venue).record(
            where.account, where.asset, LedgerKind.DEPOSIT, amount, reference=deposit.id
        )
        self._announce(where.venue, account, where.asset, amount, "deposit")
        return deposit

    def debit_outside(self, venue: str, key: str, asset: str, amount: Decimal) -> Decimal:
        """Take ``amount`` off an account to outside the simulation (a person withdrawing it by
        hand, to a bank or a wallet no venue here knows); return the free balance left.

        Refused (``Rejected``) when the free balance is short. No withdrawal record is made:
        only the balance and the statement say it happened, as for a withdrawal whose record
        the reader cannot see.
        """
        if not amount.is_finite() or amount <= 0:
            raise ValueError(f"amount: expected a positive amount, got {amount}")
        account = self.venue(venue).account(key)
        account.debit(asset, amount)
        self._transfer_seq += 1
        reference = f"X{self._transfer_seq:08d}"
        self.venue(venue).record(key, asset, LedgerKind.WITHDRAWAL, -amount, reference=reference)
        self._announce(venue, account, asset, -amount, "withdrawal")
        return account.balance(asset).free

    def _pending_withdrawal(self, withdrawal_id: str) -> Withdrawal:
        withdrawal = self.withdrawals.get(withdrawal_id)
        if withdrawal is None:
            raise Rejected(RejectReason.TRANSFER_NOT_FOUND, f"no withdrawal {withdrawal_id!r}")
        if withdrawal.state.is_final:
            raise Rejected(
                RejectReason.TRANSFER_NOT_FOUND, f"withdrawal {withdrawal_id} is {withdrawal.state}"
            )
        return withdrawal

    def _announce(
        self, venue: str, account: Account, asset: str, delta: Decimal, reason: str
    ) -> None:
        now = self.now_ms()
        balance = account.balance(asset)
        self._emit(BalanceAdjusted(venue, account.api_key, asset, delta, reason, now))
        self._emit(
            BalancesChanged(venue, account.api_key, {asset: (balance.free, balance.locked)}, now)
        )

    # -- logs ---------------------------------------------------------------------------------
    def order_log(self, venue: str | None = None) -> list[Order]:
        """Every order ever placed (on one venue or all), in the order they were placed."""
        names = [venue] if venue is not None else list(self.venues)
        return [o for name in names for o in self.venue(name).orders.values()]

    def account_withdrawals(self, venue: str, key: str) -> list[Withdrawal]:
        """An account's withdrawals, oldest first."""
        return [w for w in self.withdrawals.values() if (w.venue, w.account) == (venue, key)]

    def find_withdrawal(self, venue: str, key: str, client_id: str) -> Withdrawal | None:
        """The account's withdrawal made with ``client_id``, or None when there is none."""
        return next(
            (w for w in self.account_withdrawals(venue, key) if w.client_id == client_id), None
        )

    def account_deposits(self, venue: str, key: str) -> list[Deposit]:
        """An account's deposits, oldest first."""
        return [d for d in self.deposits.values() if (d.venue, d.account) == (venue, key)]


def _shifted(mid: Decimal, offset_bps: Decimal) -> Decimal:
    """``mid`` moved by ``offset_bps`` basis points."""
    return mid * (1 + offset_bps / 10_000) if offset_bps else mid
