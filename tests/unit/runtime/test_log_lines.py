"""What an operator reads: dated UTC lines at a shell, priority-prefixed lines in the journal,
and the run and round on every line logged while a run is being worked on."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from rebalancer.runtime.logs import RunTagger, journal_priority, log_formatter, writes_to_journal
from rebalancer.services.run_context import current_run, tag_run, untag_run

Captured = tuple[logging.Logger, io.StringIO, "logging.StreamHandler[io.StringIO]"]


@pytest.fixture
def capture() -> Iterator[Captured]:
    """A logger writing through our tagging filter into a string."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RunTagger())
    logger = logging.getLogger("rebalancer.test.lines")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    yield logger, stream, handler
    logger.removeHandler(handler)
    logger.propagate = True
    untag_run()


def test_text_lines_carry_the_date_and_the_zone(capture: Captured) -> None:
    logger, stream, handler = capture
    handler.setFormatter(log_formatter("text", journal=False))
    logger.info("hello")
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO    rebalancer\.test\.lines: hello\n",
        stream.getvalue(),
    )


def test_journal_lines_carry_the_priority_and_no_time(capture: Captured) -> None:
    logger, stream, handler = capture
    handler.setFormatter(log_formatter("text", journal=True))
    logger.warning("careful")
    logger.error("two\nlines")
    logger.debug("detail")
    assert stream.getvalue().splitlines() == [
        "<4>WARNING rebalancer.test.lines: careful",
        "<3>ERROR rebalancer.test.lines: two",
        "<3>lines",
        "<7>DEBUG rebalancer.test.lines: detail",
    ]


def test_json_lines_in_the_journal_stay_json_after_the_prefix(capture: Captured) -> None:
    logger, stream, handler = capture
    handler.setFormatter(log_formatter("json", journal=True))
    logger.info("in json")
    line = stream.getvalue()
    assert line.startswith('<6>{"at": ')
    assert '"message": "in json"' in line


@pytest.mark.parametrize(
    ("level", "priority"),
    [(logging.DEBUG, 7), (logging.INFO, 6), (logging.WARNING, 4), (logging.ERROR, 3), (50, 2)],
)
def test_levels_map_to_syslog_priorities(level: int, priority: int) -> None:
    assert journal_priority(level) == priority


def test_the_journal_is_recognised_by_the_device_and_inode_systemd_names(tmp_path: Path) -> None:
    with (tmp_path / "stderr").open("w") as stream, (tmp_path / "other").open("w") as other:
        stat = os.fstat(stream.fileno())
        named = {"JOURNAL_STREAM": f"{stat.st_dev}:{stat.st_ino}"}
        assert writes_to_journal(stream, named)
        assert not writes_to_journal(other, named)  # stderr redirected elsewhere
        assert not writes_to_journal(stream, {})
        assert not writes_to_journal(stream, {"JOURNAL_STREAM": "garbage"})


def test_lines_logged_during_a_run_name_the_run_and_round(capture: Captured) -> None:
    logger, stream, handler = capture
    handler.setFormatter(log_formatter("text", journal=True))

    async def a_round() -> None:
        tag_run("3f9a0c2d1e", 2)

        async def an_order_task() -> None:
            logger.info("order placed")

        await asyncio.create_task(an_order_task())  # tasks the round starts inherit the tag

    asyncio.run(a_round())
    logger.info("between runs")
    assert stream.getvalue().splitlines() == [
        "<6>INFO rebalancer.test.lines: run 3f9a0c2d1e round 2: order placed",
        "<6>INFO rebalancer.test.lines: between runs",
    ]
    assert current_run() is None


def test_json_lines_carry_the_run_and_round_as_fields(capture: Captured) -> None:
    logger, stream, handler = capture
    handler.setFormatter(log_formatter("json", journal=False))
    tag_run("3f9a0c2d1e", 1)
    logger.info("planned")
    assert '"run_id": "3f9a0c2d1e", "round": 1' in stream.getvalue()
    assert "run_tag" not in stream.getvalue()
