#!/usr/bin/env bash
# Set up a virtualenv and run every check: ruff, mypy and the whole pytest suite
# (browser tests included: they drive Debian's Chromium, installed here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
.venv/bin/ruff check loa pipeline broadcast web scripts tests
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
