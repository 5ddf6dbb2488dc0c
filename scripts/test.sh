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

# Two pytest-xdist workers (the machine's two cores): whole test files to each worker, the tests
# sharing Redis on one (tests/conftest.py). LOA_TEST_WORKERS=1 runs in one process.
WORKERS=${LOA_TEST_WORKERS:-2}
XDIST=(-n 0)  # xdist off
[ "$WORKERS" -le 1 ] || XDIST=(-n "$WORKERS")
PG_URL=${LOA_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}
status=0
echo "== pytest on SQLite"
LOA_TEST_DATABASE_URL="" .venv/bin/python -m pytest "${XDIST[@]}" "$@" || status=$?
if reason=$(.venv/bin/python -m tests.pg_probe "$PG_URL" 2>&1); then
  echo "== pytest on PostgreSQL ($PG_URL)"
  # The PostgreSQL run is every test whose behaviour can depend on the run's database. Left out,
  # having run above: the folders that never open a database (audio, text, speech engines, the
  # recognizer, the pipeline); the station agent's tests but the remote orders' (broadcast/agent
  # imports no database module; its fake station server has none); the CLI help, usage errors and
  # settings tests (they stop before any command opens a database); the complexity scan; and the
  # tests that choose their own database whatever the run's (scale/test_fault.py its own new
  # PostgreSQL database, scale/test_render_queue.py SQLite, events/test_events.py one of each).
  LOA_TEST_DATABASE_URL="$PG_URL" .venv/bin/python -m pytest "${XDIST[@]}" --ignore=tests/audio \
    --ignore=tests/text --ignore=tests/tts --ignore=tests/clarity --ignore=tests/pipeline \
    --ignore=tests/agent/test_agent_asrun_log.py --ignore=tests/agent/test_agent_cache.py \
    --ignore=tests/agent/test_agent_last_rows.py --ignore=tests/agent/test_agent_manifest.py \
    --ignore=tests/agent/test_agent_player.py --ignore=tests/agent/test_agent_playout.py \
    --ignore=tests/agent/test_agent_processes.py --ignore=tests/agent/test_agent_relay_stream.py \
    --ignore=tests/agent/test_agent_schedule.py --ignore=tests/loa/test_cli.py \
    --ignore=tests/loa/test_cli_help_vi.py --ignore=tests/loa/test_cli_vietnamese.py \
    --ignore=tests/loa/test_config.py --ignore=tests/test_complexity.py \
    --ignore=tests/scale/test_fault.py --ignore=tests/scale/test_render_queue.py \
    --ignore=tests/events/test_events.py "$@" || status=$?
elif [ "${LOA_REQUIRE_POSTGRES:-0}" = 1 ]; then
  echo "== PostgreSQL run required (LOA_REQUIRE_POSTGRES=1) but no server answers: $reason" >&2
  status=1
else
  echo "== PostgreSQL run SKIPPED: $reason"
  echo "   (install PostgreSQL as the README says, or set LOA_TEST_DATABASE_URL, to run the suite on it too)"
fi
exit $status
