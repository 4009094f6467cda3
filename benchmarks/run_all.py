"""Run every benchmark in this directory, one after another, and print their reports.

    .venv/bin/python benchmarks/run_all.py            # everything (several minutes)
    .venv/bin/python benchmarks/run_all.py planner    # only the scripts whose name contains it

Each benchmark is a standalone script (see its docstring for options); this only runs them in a
fresh interpreter each, so one's imports and warm caches never flatter another's figures.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"run_all.py", "daemon_world.py"}  # this script, and a shared set-up module


def benchmark_scripts(name_filter: str | None) -> list[Path]:
    """The benchmark scripts to run, in name order."""
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in SKIP)
    return [p for p in scripts if name_filter is None or name_filter in p.name]


def main() -> int:
    """Run the selected benchmarks; return non-zero if any of them failed."""
    name_filter = sys.argv[1] if len(sys.argv) > 1 else None
    failed: list[str] = []
    for script in benchmark_scripts(name_filter):
        print(f"=== {script.name}", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(script)], check=False)
        elapsed = time.monotonic() - started
        print(f"=== {script.name}: exit {result.returncode} in {elapsed:.1f} s\n")
        if result.returncode != 0:
            failed.append(script.name)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
