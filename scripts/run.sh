#!/usr/bin/env bash
# Set up a virtualenv and run Loa's main job on embedded defaults (SQLite and media under
# ./loa-data, offline voice when there is no network): build the demo (the district's stations,
# the sample scripts rendered and approved, tomorrow's playlists, one account per role), print
# where everything went, then serve the panel on http://127.0.0.1:8080/ (Ctrl-C stops it).
# Pass --no-serve to stop after building the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
exec .venv/bin/loa demo "$@"
