"""Fixtures for the scheduler tests: a real SQLite database at head, settings in a temp folder.

Migrating a new database takes about a second, so it is done once and the file copied per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from broadcast.db import init_db, make_engine
from loa import config
from loa.config import Settings


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "loa.db"
    init_db(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def settings(_isolated_data_dir: Path) -> Settings:
    return config.load()


@pytest.fixture
def engine(settings: Settings, migrated_db: Path) -> Iterator[Engine]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_db, settings.data_dir / "loa.db")
    eng = make_engine(settings.db_url)
    yield eng
    eng.dispose()
