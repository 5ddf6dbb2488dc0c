"""Shared fixtures: every test gets its own data folder and never touches the user's, and its own
database.

By default the database is SQLite in the test's data folder. With ``--database-url URL`` (or
``LOA_TEST_DATABASE_URL=URL``) naming a PostgreSQL server, e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``, every test runs on PostgreSQL instead:
``LOA_DATABASE_URL`` points at a database of this pytest process, so the app, the services, the CLI
and the ``loa`` subprocesses a test starts all use it. See ``tests/pg_databases.py`` for how each
test gets it fresh.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.pg_databases import PgDatabases

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "media" / "samples"
SPEECH = ROOT / "tests" / "data" / "speech-vi"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-url",
        default=os.environ.get("LOA_TEST_DATABASE_URL", ""),
        help="run every database test on this PostgreSQL server (a URL to any database on it, e.g. "
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres); each test gets a fresh database. "
        "Default: $LOA_TEST_DATABASE_URL, else SQLite in each test's data folder",
    )


def _run_database(config: pytest.Config) -> str:
    return "postgresql" if config.getoption("--database-url") else "sqlite"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``only_on("sqlite")`` or ``only_on("postgresql")`` check something one
    database has and the other has not: they belong to that database's run, and the other run
    leaves them out (deselected) rather than listing them as skipped."""
    run = _run_database(config)
    kept, left_out = [], []
    for item in items:
        marker = item.get_closest_marker("only_on")
        (left_out if marker is not None and marker.args[0] != run else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def pytest_report_header(config: pytest.Config) -> str:
    url = config.getoption("--database-url")
    return f"database: {'PostgreSQL, ' + url if url else 'SQLite (one file per test)'}"


@pytest.fixture(scope="session")
def _pg_databases(request: pytest.FixtureRequest) -> Iterator[PgDatabases | None]:
    url = request.config.getoption("--database-url")
    if not url:
        yield None
        return
    from tests.pg_databases import PgDatabases

    dbs = PgDatabases(url, prefix=f"loa_test_{os.getpid()}")
    try:
        yield dbs
    finally:
        dbs.close()


@pytest.fixture(autouse=True)
def _test_database(_pg_databases: PgDatabases | None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The URL of this test's PostgreSQL database, in ``LOA_DATABASE_URL``; "" on SQLite."""
    if _pg_databases is None:
        monkeypatch.delenv("LOA_DATABASE_URL", raising=False)
        yield ""
        return
    url = _pg_databases.checkout()
    monkeypatch.setenv("LOA_DATABASE_URL", url)
    yield url
    _pg_databases.reset()


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _test_database: str) -> Path:
    data = tmp_path / "loa-data"
    monkeypatch.setenv("LOA_DATA_DIR", str(data))
    monkeypatch.delenv("LOA_CONFIG", raising=False)
    monkeypatch.setenv("LOA_CLARITY_CHECK", "0")  # the recognizer runs only in the tests that ask for it
    return data


def on_postgres() -> bool:
    """True when this run's tests use PostgreSQL (for the few that check a backend's own behaviour)."""
    return os.environ.get("LOA_DATABASE_URL", "").startswith("postgresql")


#: Tests that share fixed Redis state: tests/scale a Redis database (7) each test empties, and the
#: events tests Redis pub/sub, whose one channel carries every database's emergencies (a scale test's
#: emergency would reach an events test listening at the same time).
_SHARED_REDIS = ("tests/scale/", "tests/events/test_events.py")


def _xdist_scope(nodeid: str) -> str:
    """One work unit per test file (module-scoped servers and browsers start once), except that
    the tests sharing Redis are one unit: they run on one worker, one after the other."""
    path = nodeid.split("::", 1)[0]
    return "shared-redis" if path.startswith(_SHARED_REDIS) else path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """Under pytest-xdist (scripts/test.sh runs ``-n 2``): whole files to each worker, see above.
    (xdist's own ``--dist loadgroup`` marks are ignored with pytest 9: it renames node ids.)"""
    from xdist.scheduler import LoadScopeScheduling

    class FileScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _xdist_scope(nodeid)

    return FileScheduling(config, log)  # type: ignore[arg-type]
