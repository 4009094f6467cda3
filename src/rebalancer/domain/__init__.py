"""Value types of the rebalancing domain. Pure: standard library only, no I/O."""
