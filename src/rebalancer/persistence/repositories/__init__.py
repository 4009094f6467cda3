"""One repository per aggregate, each working inside a session the caller's transaction owns."""
