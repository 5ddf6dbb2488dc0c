"""The panel works from a relative data folder (the default ``./loa-data``), as ``loa demo`` runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from panel_support import make_panel

from pipeline.store import MediaStore, atomic_write_bytes

SHA = "ab" * 32


def test_media_is_served_from_a_relative_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    panel = make_panel(Path("loa-data"))
    assert panel.app.config["LOA_SETTINGS"].data_dir == (tmp_path / "loa-data")
    atomic_write_bytes(MediaStore(tmp_path / "loa-data" / "media").path_for(SHA), b"ID3 fake mp3 bytes")
    for url in (f"/media/{SHA}", f"/api/v1/media/{SHA}"):
        r = panel.app.test_client().get(url)
        assert r.status_code == 200, url
        assert r.data == b"ID3 fake mp3 bytes"


def test_secret_key_on_a_drive_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A data folder on a FAT/exFAT USB drive or a share: os.link fails, the panel must still start."""
    import dataclasses
    import errno
    import os

    from web.app import _secret_key

    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    settings = dataclasses.replace(make_panel(tmp_path / "loa-data").settings, secret_key="")
    key = _secret_key(settings)
    assert len(key) == 64 and _secret_key(settings) == key  # kept, not regenerated
    assert [p.name for p in settings.data_dir.iterdir() if p.name.startswith(".secret_key")] == []
