"""``holder``: which live process the lock file names, read without taking the lock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rebalancer.runtime.instance_lock import LOCK_FILE_NAME, InstanceLock, holder


def test_a_held_lock_names_its_live_process(tmp_path: Path) -> None:
    with InstanceLock(tmp_path):
        assert holder(tmp_path) == os.getpid()


def test_no_lock_file_or_a_dead_process_names_nobody(tmp_path: Path) -> None:
    assert holder(tmp_path) is None
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    (tmp_path / LOCK_FILE_NAME).write_text(f"{gone}\n", encoding="ascii")
    assert holder(tmp_path) is None
    (tmp_path / LOCK_FILE_NAME).write_text("garbage\n", encoding="ascii")
    assert holder(tmp_path) is None
