"""``check_against_snapshot``: can the portfolio be traded on what the venues list?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rebalancer.codecs.snapshot_json import parse_snapshot
from rebalancer.domain.snapshot import Snapshot
from rebalancer.settings import AppConfig, check_against_snapshot, load_config

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "config" / "example.toml"


def example_snapshot() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (REPO / "config" / "example-snapshot.json").read_text(encoding="utf-8")
    )
    return document


def example_config() -> AppConfig:
    return load_config(EXAMPLE, env={})


def parsed(document: dict[str, Any]) -> Snapshot:
    return parse_snapshot(document)


def test_the_example_config_fits_the_example_snapshot() -> None:
    assert check_against_snapshot(example_config(), "core", parsed(example_snapshot())) == []


def test_a_venue_missing_from_the_snapshot_is_a_problem() -> None:
    document = example_snapshot()
    del document["venues"]["okx"]
    document["routes"] = []
    document["in_transit"] = []
    problems = check_against_snapshot(example_config(), "core", parsed(document))
    assert f"{EXAMPLE}: portfolios.core.venues: venue okx is not in the snapshot" in [
        str(p) for p in problems
    ]


def test_an_asset_no_venue_lists_is_a_problem_naming_its_weight() -> None:
    document = example_snapshot()
    for venue in document["venues"].values():
        venue["markets"].pop("SOL/USDT", None)
    problems = check_against_snapshot(example_config(), "core", parsed(document))
    assert [str(p) for p in problems] == [
        f"{EXAMPLE}: portfolios.core.weights.SOL: no venue of the portfolio lists SOL/USDT "
        "(venues in snapshot: binance, okx)"
    ]


def test_an_asset_listed_only_where_it_is_forbidden_is_a_problem(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    text += '\n[portfolios.core.forbidden_assets]\nokx = ["SOL"]\n'
    path = tmp_path / "forbidden.toml"
    path.write_text(text, encoding="utf-8")
    document = example_snapshot()  # SOL/USDT is listed on okx only
    problems = check_against_snapshot(load_config(path, env={}), "core", parsed(document))
    assert [str(p) for p in problems] == [
        f"{path}: portfolios.core.weights.SOL: SOL/USDT is listed only on venues that forbid "
        "SOL (okx)"
    ]
