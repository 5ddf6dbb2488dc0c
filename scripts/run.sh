#!/usr/bin/env bash
# Set up a virtualenv and run Loa's main job on embedded defaults (SQLite and media under
# ./loa-data, offline voice when there is no network).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
for f in media/samples/*.txt; do
  .venv/bin/loa render "$f" --title "$(basename "$f" .txt)" -o "loa-data/out/$(basename "$f" .txt).mp3"
done
