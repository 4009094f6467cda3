"""rebalancer: keep a crypto portfolio spread over several exchanges at its target weights."""

__version__ = "0.1.0"
