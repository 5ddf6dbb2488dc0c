"""Fixtures for the scheduler tests: a real SQLite database at head, settings in a temp folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from broadcast.db import init_db
from loa import config
from loa.config import Settings


@pytest.fixture
def settings(_isolated_data_dir: Path) -> Settings:
    return config.load()


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    eng = init_db(settings.db_url)
    yield eng
    eng.dispose()
