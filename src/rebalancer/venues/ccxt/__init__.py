"""venues ccxt package."""
