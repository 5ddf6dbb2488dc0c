"""Fixtures for the audio tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from loa.config import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "loa-data")
