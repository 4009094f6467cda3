"""venues simulated package."""
