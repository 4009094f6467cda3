#!/bin/sh
# Install rebalancer into a venv from its wheel, every dependency at exactly the lock's version.
#
#   packaging/install.sh PREFIX WHEEL LOCK [CONFIG_DIR STATE_DIR]
#
# PREFIX      the venv to create or update (e.g. /opt/rebalancer)
# WHEEL       dist/rebalancer-VERSION-py3-none-any.whl (`python -m build --wheel`)
# LOCK        requirements/lock.txt: every version is pinned there. It also pins the project's
#             test tools; those are not installed (the lock constrains, the wheel decides what).
# CONFIG_DIR, STATE_DIR
#             optional: when CONFIG_DIR has no config.toml yet, write the paper starter config
#             there, its state in STATE_DIR (what the container image ships).
#
# The Dockerfile runs this script, and so does the test of the standalone wheel
# (tests/integration/deploy/test_standalone_wheel.py), so the image and the test cannot drift.
# Fails when any installed distribution is not at the lock's version.
set -eu

if [ "$#" -ne 3 ] && [ "$#" -ne 5 ]; then
    echo "usage: $0 PREFIX WHEEL LOCK [CONFIG_DIR STATE_DIR]" >&2
    exit 2
fi
prefix=$1
wheel=$2
lock=$3
python=${PYTHON:-python3}

[ -x "$prefix/bin/python" ] || "$python" -m venv "$prefix"
pip() {
    "$prefix/bin/python" -m pip --disable-pip-version-check --no-input --quiet "$@"
}
# the venv's own tools first, at the lock's versions, then the wheel and what it needs
pip install --constraint "$lock" pip setuptools
pip install --constraint "$lock" "$wheel"

"$prefix/bin/python" - "$lock" <<'PY'
"""Every installed distribution is pinned by the lock, at exactly that version."""
import re
import sys
from importlib import metadata

def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()

pins = {}
for line in open(sys.argv[1], encoding="utf-8"):
    found = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)", line)
    if found:
        pins[canonical(found[1])] = found[2]
wrong = []
for dist in metadata.distributions():
    name, version = canonical(dist.metadata["Name"]), dist.version
    if name == "rebalancer":
        continue
    if pins.get(name) != version:
        wrong.append(f"{name}=={version} (lock: {pins.get(name, 'not pinned')})")
if wrong:
    sys.exit("installed versions differ from the lock: " + ", ".join(sorted(wrong)))
PY

if [ "$#" -eq 5 ] && [ ! -e "$4/config.toml" ]; then
    "$prefix/bin/rebalancer" init-config --paper "$4/config.toml" --state-dir "$5"
fi
