"""Shared fixtures: every test gets its own data folder and never touches the user's."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "media" / "samples"
SPEECH = ROOT / "tests" / "data" / "speech-vi"


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "loa-data"
    monkeypatch.setenv("LOA_DATA_DIR", str(data))
    monkeypatch.delenv("LOA_CONFIG", raising=False)
    monkeypatch.setenv("LOA_CLARITY_CHECK", "0")  # the recognizer runs only in the tests that ask for it
    return data
