#!/usr/bin/env bash
# Set up a virtualenv and run every check: ruff, mypy and the whole pytest suite, twice: on SQLite,
# then on PostgreSQL (browser tests included: they drive Debian's Chromium, installed here when
# missing). The PostgreSQL run uses $LOA_TEST_DATABASE_URL (default: the local server, user postgres)
# and is skipped, with a message, when no server answers there, unless LOA_REQUIRE_POSTGRES=1 (CI).
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

PG_URL=${LOA_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}
status=0
echo "== pytest on SQLite"
LOA_TEST_DATABASE_URL="" .venv/bin/python -m pytest "$@" || status=$?
if reason=$(.venv/bin/python -m tests.pg_probe "$PG_URL" 2>&1); then
  echo "== pytest on PostgreSQL ($PG_URL)"
  # The directories whose tests never open a database (audio, text, speech engines, the recognizer,
  # the pipeline) ran above; the PostgreSQL run is every test that has a database.
  LOA_TEST_DATABASE_URL="$PG_URL" .venv/bin/python -m pytest --ignore=tests/audio --ignore=tests/text \
    --ignore=tests/tts --ignore=tests/clarity --ignore=tests/pipeline "$@" || status=$?
elif [ "${LOA_REQUIRE_POSTGRES:-0}" = 1 ]; then
  echo "== PostgreSQL run required (LOA_REQUIRE_POSTGRES=1) but no server answers: $reason" >&2
  status=1
else
  echo "== PostgreSQL run SKIPPED: $reason"
  echo "   (install PostgreSQL as the README says, or set LOA_TEST_DATABASE_URL, to run the suite on it too)"
fi
exit $status
