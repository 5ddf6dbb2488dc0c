from __future__ import annotations

import json
from datetime import date

import pytest

from broadcast.agent.manifest import ManifestError, parse_manifest

SHA = "ab" * 32


def doc(**over: object) -> dict:
    item = {
        "start": "2026-11-26T05:30:00+07:00", "duration_s": 12.5, "kind": "bulletin", "title": "Tin",
        "priority": "normal", "sha256": SHA, "size": 100, "url": f"/api/v1/media/{SHA}", "bulletin_id": 7,
        "session": "05:30",
    }  # fmt: skip
    base = {"station": "XA-01", "date": "2026-11-26", "version": 3, "items": [item], "unplaced": []}
    base.update(over)
    return base


def test_parses_the_contract_fields_and_extensions() -> None:
    m = parse_manifest(json.dumps(doc(emergency=True)).encode(), station="XA-01", day=date(2026, 11, 26))
    assert (m.station, m.day, m.version, m.emergency) == ("XA-01", date(2026, 11, 26), 3, True)
    it = m.items[0]
    assert (it.duration_s, it.sha256, it.bulletin_id, it.session) == (12.5, SHA, 7, "05:30")
    assert it.start.utcoffset() is not None and it.start.hour == 5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"station": "XA-02"}, "không phải của đài XA-01"),
        ({"date": "2026-11-27"}, "không phải ngày 2026-11-26"),
        ({"items": [{"kind": "bulletin"}]}, "thời lượng"),
        ({"version": "x"}, "thiếu trường"),
    ],
)
def test_refuses_a_manifest_for_another_station_or_day_or_malformed(change: dict, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        parse_manifest(doc(**change), station="XA-01", day=date(2026, 11, 26))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sha256", "nothex", "sha256"),
        ("start", "2026-11-26T05:30:00", "múi giờ"),
        ("kind", "music", "loại"),
        ("priority", "urgent", "ưu tiên"),
        ("duration_s", 0, "lớn hơn 0"),
    ],
)
def test_refuses_bad_items(field: str, value: object, message: str) -> None:
    d = doc()
    d["items"][0][field] = value
    with pytest.raises(ManifestError, match=message):
        parse_manifest(d)


def test_relay_needs_a_stream_and_has_no_checksum() -> None:
    d = doc()
    d["items"][0].update(kind="relay", sha256=None, url="", stream_url="http://radio/live")
    assert parse_manifest(d).items[0].stream_url == "http://radio/live"
    d["items"][0]["stream_url"] = None
    with pytest.raises(ManifestError, match="luồng"):
        parse_manifest(d)


def test_refuses_text_that_is_not_json() -> None:
    with pytest.raises(ManifestError, match="JSON"):
        parse_manifest(b"<html>")
