"""Log output: readable lines by default, one JSON object per line with ``--log-format json``.

- Text lines start with the time in UTC, date and zone included (``2026-12-06T04:22:20Z``).
- Under systemd (``$JOURNAL_STREAM`` names our stderr) every line starts with the sd-daemon
  priority prefix (``<3>`` error, ``<4>`` warning, ``<6>`` info, ``<7>`` debug), so the journal
  files it at the right priority, and text lines carry no time: the journal stamps them.
- A line logged while a run is being worked on names the run and round
  (``run 3f9a0c2d1e round 2: ...``; ``run_id`` and ``round`` fields in JSON), whoever logs it.
- Secrets never reach a log line: every registered secret value is replaced by ``***`` in the
  rendered message, whatever code logged it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TextIO

from rebalancer.services.run_context import current_run

REDACTED = "***"
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "run_tag",
}
# syslog priorities as sd-daemon(3) prefixes them, most severe first
_PRIORITIES = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))
_DEBUG_PRIORITY = 7
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(run_tag)s%(message)s"
JOURNAL_TEXT_FORMAT = "%(levelname)s %(name)s: %(run_tag)s%(message)s"


def journal_priority(level: int) -> int:
    """The syslog priority of a logging level (between two levels: the more severe)."""
    return next((priority for least, priority in _PRIORITIES if level >= least), _DEBUG_PRIORITY)


def writes_to_journal(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """True when ``stream`` is the journal stream systemd named in ``$JOURNAL_STREAM``.

    systemd sets ``JOURNAL_STREAM=DEVICE:INODE`` for the stream it connected to the journal;
    comparing it with the stream's own numbers tells a redirected stderr from the journal.
    """
    value = (os.environ if env is None else env).get("JOURNAL_STREAM", "")
    device, _, inode = value.partition(":")
    try:
        stat = os.fstat(stream.fileno())
        return (int(device), int(inode)) == (stat.st_dev, stat.st_ino)
    except (ValueError, OSError):
        return False


class RunTagger(logging.Filter):
    """Give every record the run and round being worked on (``run_tag``, ``run_id``, ``round``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Tag the record; never drops one."""
        tag = current_run()
        record.run_tag = f"{tag}: " if tag is not None else ""
        if tag is not None:
            record.run_id, record.round = tag.run_id, tag.round
        return True


class UtcFormatter(logging.Formatter):
    """Text lines stamped in UTC with the date and the zone: ``2026-12-06T04:22:20Z``."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        """The record's time in UTC, to the second."""
        del datefmt
        return datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class JournalFormatter(logging.Formatter):
    """Put the sd-daemon priority prefix on every line another formatter renders."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self._inner = inner

    def format(self, record: logging.LogRecord) -> str:
        """``<N>`` before each line, so a traceback's lines keep the record's priority too."""
        prefix = f"<{journal_priority(record.levelno)}>"
        return "\n".join(prefix + line for line in self._inner.format(record).split("\n"))


class SecretRedactor(logging.Filter):
    """Replace known secret values in every record's final message."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = tuple(sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message now and scrub it (args may hold secrets too)."""
        if self._secrets:
            message = record.getMessage()
            for secret in self._secrets:
                message = message.replace(secret, REDACTED)
            record.msg, record.args = message, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Render a record as a JSON line."""
        payload: dict[str, object] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def log_formatter(fmt: str, *, journal: bool) -> logging.Formatter:
    """The formatter for ``fmt`` ("text" or "json"), for the journal or a plain stream."""
    if fmt == "json":
        inner: logging.Formatter = JsonFormatter()
    elif journal:
        inner = logging.Formatter(JOURNAL_TEXT_FORMAT)
    else:
        inner = UtcFormatter(TEXT_FORMAT)
    return JournalFormatter(inner) if journal else inner


def configure_logging(
    fmt: str,
    level: str = "INFO",
    secrets: Iterable[str] = (),
    env: Mapping[str, str] | None = None,
) -> None:
    """Send logs to stderr in ``fmt`` ("text" or "json"), scrubbing ``secrets``.

    ``env`` (default ``os.environ``) tells whether stderr is the journal's stream.
    """
    stream = sys.stderr
    handler = logging.StreamHandler(stream)
    handler.setFormatter(log_formatter(fmt, journal=writes_to_journal(stream, env)))
    handler.addFilter(RunTagger())
    handler.addFilter(SecretRedactor(secrets))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    noisy_loggers = (
        "ccxt",
        "aiohttp.access",
        "apscheduler",
        "sqlalchemy.engine",
        "alembic",
        "httpx",
    )
    for noisy in noisy_loggers:  # httpx: a line per Telegram request, long polls included
        logging.getLogger(noisy).setLevel(logging.WARNING)


def redact_more(secrets: Iterable[str]) -> None:
    """Also scrub ``secrets`` (learnt after start-up, e.g. a simulator's keys) everywhere."""
    redactor = SecretRedactor(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
