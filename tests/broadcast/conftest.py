"""A real database per test: SQLite in the test's data folder, or the run's PostgreSQL database
(``--database-url``, see tests/conftest.py), fresh for each test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, make_url, select
from sqlalchemy.orm import Session, sessionmaker

from broadcast import db
from broadcast import stations as st
from broadcast.models import Base, RegenRequest
from loa import config
from loa.config import Settings
from tests.conftest import SAMPLES

STATIONS_CSV = SAMPLES / "stations-duc-trong.csv"


@pytest.fixture
def settings(_isolated_data_dir: Path) -> Settings:
    return config.load()


@pytest.fixture
def db_url(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> str:
    url = settings.db_url
    monkeypatch.setenv("LOA_DATABASE_URL", url)  # so `loa` commands in the test use it too
    return url


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test: migrating from scratch takes ~0.5 s."""
    path = tmp_path_factory.mktemp("template") / "loa.db"
    db.init_db(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def engine(db_url: str, _sqlite_template: Path) -> Iterator[Engine]:
    u = make_url(db_url)
    if u.get_backend_name() == "sqlite" and u.database:
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_sqlite_template, u.database)
    eng = db.init_db(db_url)  # a no-op on the copy and on PostgreSQL's fresh database
    yield eng
    eng.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return db.session_factory(engine)


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    s = factory()
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def stations(session: Session) -> list[str]:
    """The 15 sample stations of Đức Trọng district, in group 'duc-trong'."""
    rows = st.parse_stations_csv(STATIONS_CSV.read_text("utf-8"))
    st.import_stations(session, rows, group="duc-trong", district="Đức Trọng")
    # A seeded database starts with an empty outbox: tests count the requests their own changes write.
    session.execute(delete(RegenRequest))
    session.commit()
    return [r.code for r in rows]


def count_rows(session: Session) -> dict[str, int]:
    """Rows in every table, to prove a failed operation changed nothing."""
    return {
        t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables
    }
