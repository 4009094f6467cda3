"""Fixtures of the execution service tests (the world itself is built in ``harness``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .harness import World, make_engine, make_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    built = await make_world(tmp_path, make_engine())
    yield built
    for gateway in built.gateways.values():
        await gateway.close()
    await built.store.close()
