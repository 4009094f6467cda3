"""Starter configs shipped inside the package, written out by ``rebalancer init-config``.

``paper.toml`` (with ``paper-sim.toml``, the embedded simulator's world) trades two simulated
venues: no keys, no internet, no money. ``live.toml`` is the same portfolio on real binance and
okx accounts, keys from credentials or the environment. Each has one line
``state_dir = "state"`` that ``init-config`` replaces with the directory it is given.
"""
