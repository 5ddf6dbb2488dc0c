"""The local folder behind the same interface as S3: what a one-PC deployment uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from broadcast.media import media_backend
from loa import config
from pipeline.storage import LocalBackend, StorageMissing


def test_the_folder_keeps_puts_whole_and_serves_ranges(tmp_path: Path) -> None:
    backend = media_backend(config.load(env={"LOA_DATA_DIR": str(tmp_path)}))
    assert isinstance(backend, LocalBackend) and backend.root == tmp_path / "media"
    src = tmp_path / "in.mp3"
    src.write_bytes(bytes(range(256)) * 4)
    backend.put_file(src, "ab/" + "ab" * 32 + ".mp3", "audio/mpeg")
    rel = "ab/" + "ab" * 32 + ".mp3"
    assert (backend.root / rel).read_bytes() == src.read_bytes()
    assert not list((backend.root / "ab").glob(".*"))  # no temporary file left beside it
    body = backend.open(rel, "bytes=10-19")
    assert b"".join(body.chunks) == src.read_bytes()[10:20] and body.content_range == "bytes 10-19/1024"
    assert backend.fetch_to(rel, backend.root / rel) == backend.root / rel
    assert backend.presigned_url(rel, 60) is None
    with pytest.raises(StorageMissing):
        backend.open("cd/" + "cd" * 32 + ".mp3")
    with pytest.raises(StorageMissing):
        backend.fetch_to("cd/x.mp3", tmp_path / "x")
