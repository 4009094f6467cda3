"""A progress bar over the bars being replayed (tqdm), shown only on a terminal.

Piped or redirected output, and ``--json``, get no bar at all. Updates are batched so the bar
costs nothing next to a check.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO

from tqdm import tqdm


class Progress:
    """``bar(index)`` after each replayed bar; ``note(text)`` when a comparison finishes."""

    def __init__(self, total: int, *, label: str, stream: TextIO | None = None) -> None:
        out = stream if stream is not None else sys.stderr
        self.enabled = out.isatty()
        self._bar = tqdm(
            total=total,
            desc=label,
            unit="bar",
            file=out,
            disable=not self.enabled,
            mininterval=0.25,
            dynamic_ncols=True,
        )
        self._shown = 0

    def bar(self, index: int) -> None:
        """Bar ``index`` (0-based) is done."""
        done = index + 1
        if done - self._shown >= 64 or done == self._bar.total:
            self._bar.update(done - self._shown)
            self._shown = done

    def note(self, text: str) -> None:
        """Show ``text`` beside the bar."""
        if self.enabled:
            self._bar.set_postfix_str(text, refresh=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._bar.close()
