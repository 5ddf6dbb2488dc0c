"""Fixtures for the panel tests; the helpers they use live in panel_support."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from panel_support import FAST_HASHER, Panel, make_panel

from broadcast import security


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security, "_hasher", FAST_HASHER)


@pytest.fixture
def panel(tmp_path: Path) -> Panel:
    return make_panel(tmp_path / "loa-data")


@pytest.fixture(scope="module")
def shared_panel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Panel]:
    """One app for a whole module (the role matrix): cheap to reuse, each case makes its own rows."""
    yield make_panel(tmp_path_factory.mktemp("shared") / "loa-data")
