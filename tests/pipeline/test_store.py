from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipeline.store import MediaStore, atomic_path


def test_put_is_content_addressed_and_indexed_by_key(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    tmp = store.temp_path()
    tmp.write_bytes(b"ID3 fake mp3 bytes")
    stored = store.put(tmp, {"engine": "espeak"}, cache_key="k" * 64)
    sha = hashlib.sha256(b"ID3 fake mp3 bytes").hexdigest()
    assert stored.sha256 == sha
    assert stored.path == tmp_path / "media" / sha[:2] / f"{sha}.mp3"
    assert stored.relpath == f"{sha[:2]}/{sha}.mp3"
    assert not tmp.exists()
    hit = store.lookup("k" * 64)
    assert hit is not None and hit.sha256 == sha and hit.meta == {"engine": "espeak"}


def test_same_bytes_twice_keeps_one_file(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    for key in ("a" * 64, "b" * 64):
        tmp = store.temp_path()
        tmp.write_bytes(b"same")
        store.put(tmp, {}, cache_key=key)
    assert len(list(tmp_path.glob("??/*.mp3"))) == 1
    assert store.lookup("a" * 64) == store.lookup("b" * 64)


def test_lookup_misses_when_the_file_is_gone_or_damaged(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    tmp = store.temp_path()
    tmp.write_bytes(b"payload")
    stored = store.put(tmp, {}, cache_key="c" * 64)
    stored.path.write_bytes(b"pay")  # truncated by a crash or a bad copy
    assert store.lookup("c" * 64) is None
    stored.path.unlink()
    assert store.lookup("c" * 64) is None
    assert store.lookup("d" * 64) is None


def test_path_for_refuses_anything_but_a_sha256(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    for bad in ("../../etc/passwd", "A" * 64, "0" * 63, ""):
        with pytest.raises(ValueError):
            store.path_for(bad)


def test_atomic_path_leaves_nothing_behind_on_error(tmp_path: Path) -> None:
    final = tmp_path / "out" / "x.mp3"
    with pytest.raises(RuntimeError), atomic_path(final) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("killed")
    assert not final.exists()
    assert list((tmp_path / "out").iterdir()) == []
    with atomic_path(final) as tmp:
        tmp.write_bytes(b"whole")
    assert final.read_bytes() == b"whole"
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["x.mp3"]


def test_leftovers_of_killed_renders_are_swept(tmp_path: Path) -> None:
    import os
    import time

    from pipeline.store import STALE_TMP_S

    store = MediaStore(tmp_path)
    old = store.temp_path()
    fresh = store.temp_path()
    past = time.time() - STALE_TMP_S - 60
    os.utime(old, (past, past))
    store.temp_path()
    assert not old.exists() and fresh.exists()
