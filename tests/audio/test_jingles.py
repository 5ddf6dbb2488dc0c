"""The shipped jingles: small, decodable, pleasant-by-construction chimes, and their generator."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from loa.config import PROJECT_MEDIA_DIR, Settings
from pipeline.audio import decode_file, measure

JINGLES = PROJECT_MEDIA_DIR / "jingles"


def load_generator():
    spec = importlib.util.spec_from_file_location("make_jingles", JINGLES / "make_jingles.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["intro-chime.ogg", "outro-chime.ogg", "station-id.ogg"])
def test_shipped_jingle(name: str, settings: Settings) -> None:
    path = settings.jingle_path(name)
    assert path == JINGLES / name
    assert path.stat().st_size < 16_000  # a few KB
    blocks, rate = decode_file(path, settings.max_recording_s)
    x = np.concatenate(list(blocks))
    assert 2.0 <= len(x) / rate <= 4.0
    result = measure(x, rate)
    assert -25 < result.integrated < -10 and result.true_peak_dbtp < 0


def test_generator_notes_and_levels() -> None:
    gen = load_generator()
    assert gen.note_hz("A4") == pytest.approx(440.0)
    assert gen.note_hz("C5") == pytest.approx(523.25, abs=0.01)
    chime = gen.chime([("C5", 0.0), ("G5", 0.3)], 2.0)
    assert len(chime) == 2 * gen.RATE
    assert float(np.max(np.abs(chime))) == pytest.approx(10 ** (-3 / 20), rel=1e-4)
    assert abs(float(chime[-1])) < 1e-3  # faded out, no click at the end
    # Bell partials decay: the last half second is far quieter than the first.
    assert np.sqrt(np.mean(chime[-gen.RATE // 2 :] ** 2)) < 0.5 * np.sqrt(np.mean(chime[: gen.RATE // 2] ** 2))


def test_generator_writes_decodable_files(tmp_path: Path, settings: Settings) -> None:
    written = load_generator().main(tmp_path)
    assert sorted(p.name for p in written) == ["intro-chime.ogg", "outro-chime.ogg", "station-id.ogg"]
    blocks, rate = decode_file(tmp_path / "station-id.ogg", settings.max_recording_s)
    assert rate == 22_050 and sum(len(b) for b in blocks) > 3 * rate
