"""Backtests: historical prices replayed through the daemon's own check, planner and executor.

Time is a ``SimulatedClock``; venues are simulated gateways over the in-process exchange engine;
each bar the daemon's ``DaemonLoop.check`` decides and carries out runs exactly as it would live.
"""
