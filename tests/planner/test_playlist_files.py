"""Manifest (the contract), M3U8, XSPF and atomic writing."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from broadcast import playlist_files as pf
from broadcast.planner import Unplaced, plan_day
from tests.planner.builders import DAY, STATION, bulletin, jingle, relay, session

GENERATED = datetime(2026, 11, 30, 17, 5, tzinfo=UTC)


def sample_manifest(version: int = 3) -> dict:
    plan = plan_day(
        STATION,
        DAY,
        [session(1, 6, 0, 30)],
        [
            bulletin(1, 61.4, priority="emergency", title="Cảnh báo, bão số 9"),
            bulletin(2, 30, rendered=False),
        ],
        [relay(1, 6, 10, 15)],
        jingle=jingle(5),
    )
    return pf.build_manifest(
        "DT-01",
        DAY,
        version,
        GENERATED,
        plan.items,
        plan.unplaced,
        timezone="Asia/Ho_Chi_Minh",
        emergency=False,
    )


def test_manifest_has_exactly_the_contract_fields_and_types():
    m = sample_manifest()
    assert {"station", "date", "version", "generated_at", "items", "unplaced"} <= set(m)
    assert m["station"] == "DT-01" and m["date"] == "2026-12-01" and m["version"] == 3
    assert datetime.fromisoformat(m["generated_at"]) == GENERATED
    required = {"start", "duration_s", "kind", "title", "priority", "sha256", "size", "url"}
    for it in m["items"]:
        assert required <= set(it)
        assert it["start"].endswith("+07:00")
        assert isinstance(it["duration_s"], float) and it["kind"] in ("bulletin", "relay", "jingle")
    jingle_item, bull, _close, rel = m["items"]
    assert bull == {
        "start": "2026-12-01T06:00:05+07:00",
        "duration_s": 61.4,
        "kind": "bulletin",
        "title": "Cảnh báo, bão số 9",
        "priority": "emergency",
        "sha256": f"{1:064x}",
        "size": 1001,
        "url": f"/api/v1/media/{1:064x}",
        "bulletin_id": 1,
        "session": "06:00",
        "id": bull["id"],
    }
    assert rel["sha256"] is None and rel["url"] == rel["stream_url"] == "http://stream.example/vov1"
    assert rel["size"] == 0 and rel["kind"] == "relay"
    assert jingle_item["kind"] == "jingle" and jingle_item["sha256"] == f"{9999:064x}"
    assert m["unplaced"] == [
        {
            "title": "Bản tin 2",
            "reason": "Bản tin chưa có âm thanh: chưa dựng xong.",
            "bulletin_id": 2,
            "missing": 1,
        }
    ]
    json.dumps(m)  # plain JSON types only


def test_item_ids_are_unique_and_stable_across_versions():
    a, b = sample_manifest(1), sample_manifest(2)
    ids = [it["id"] for it in a["items"]]
    assert len(set(ids)) == len(ids)
    assert ids == [it["id"] for it in b["items"]]


def test_etag_ignores_version_and_time_but_not_content():
    a = sample_manifest(1)
    b = sample_manifest(7)
    b["generated_at"] = "2030-01-01T00:00:00+00:00"
    assert pf.manifest_etag(a) == pf.manifest_etag(b)
    c = sample_manifest(1)
    c["items"][1]["title"] = "Khác"
    assert pf.manifest_etag(a) != pf.manifest_etag(c)
    d = sample_manifest(1)
    d["emergency"] = True
    assert pf.manifest_etag(a) != pf.manifest_etag(d)


def test_items_round_trip_through_the_manifest():
    plan = plan_day(
        STATION, DAY, [session(1, 6, 0, 30)], [bulletin(1, 61.4)], [relay(1, 6, 10, 15)], jingle=jingle()
    )
    m = pf.build_manifest("DT-01", DAY, 1, GENERATED, plan.items, [], timezone="Asia/Ho_Chi_Minh")
    assert tuple(pf.items_from_manifest(json.loads(json.dumps(m)))) == plan.items


def test_m3u8_is_extended_m3u_with_start_comments():
    text = pf.render_m3u8(sample_manifest())
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U"
    assert lines[1].startswith("#PLAYLIST:DT-01 2026-12-01")
    extinf = [i for i, line in enumerate(lines) if line.startswith("#EXTINF:")]
    assert len(extinf) == 4
    assert lines[extinf[1]] == "#EXTINF:61,Cảnh báo, bão số 9"
    assert lines[extinf[1] + 1] == f"/api/v1/media/{1:064x}"
    assert lines[extinf[3]] == "#EXTINF:900,VOV 1" and lines[extinf[3] + 1] == "http://stream.example/vov1"
    assert lines[extinf[1] - 1].startswith("# start=2026-12-01T06:00:05+07:00")
    assert any(line.startswith("# unplaced: Bản tin 2") for line in lines)


def test_m3u8_titles_cannot_break_lines():
    m = sample_manifest()
    m["items"][1]["title"] = "dòng một\ndòng hai\r\n#EXTINF:1,x"
    lines = pf.render_m3u8(m).splitlines()
    assert "#EXTINF:61,dòng một dòng hai #EXTINF:1,x" in lines


def test_xspf_is_valid_xml_with_one_track_per_item():
    root = ET.fromstring(pf.render_xspf(sample_manifest()))
    ns = {"x": pf.XSPF_NS}
    tracks = root.findall("x:trackList/x:track", ns)
    assert len(tracks) == 4
    assert tracks[1].findtext("x:title", namespaces=ns) == "Cảnh báo, bão số 9"
    assert tracks[1].findtext("x:duration", namespaces=ns) == "61400"
    assert tracks[1].findtext("x:location", namespaces=ns) == f"/api/v1/media/{1:064x}"
    assert tracks[3].findtext("x:identifier", namespaces=ns) is None
    assert tracks[3].findtext("x:location", namespaces=ns) == "http://stream.example/vov1"


def test_files_written_to_code_and_date_json_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    order: list[str] = []
    real = os.replace

    def spy(src, dst):
        order.append(Path(dst).suffix)
        assert Path(src).parent == Path(dst).parent  # temp file in the same folder
        return real(src, dst)

    monkeypatch.setattr(pf.os, "replace", spy)
    m = sample_manifest()
    paths = pf.write_playlist_files(tmp_path, m)
    assert paths.json == tmp_path / "DT-01" / "2026-12-01.json"
    assert order[-1] == ".json" and set(order) == {".m3u8", ".xspf", ".json"}
    assert json.loads(paths.json.read_text("utf-8")) == m
    assert paths.m3u8.read_text("utf-8") == pf.render_m3u8(m)
    assert sorted(p.name for p in (tmp_path / "DT-01").iterdir()) == [
        "2026-12-01.json",
        "2026-12-01.m3u8",
        "2026-12-01.xspf",
    ]


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    m = sample_manifest(1)
    paths = pf.write_playlist_files(tmp_path, m)
    before = paths.json.read_bytes()
    real = os.replace

    def fail_on_json(src, dst):
        if str(dst).endswith(".json"):
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr(pf.os, "replace", fail_on_json)
    with pytest.raises(OSError):
        pf.write_playlist_files(tmp_path, sample_manifest(2))
    assert paths.json.read_bytes() == before
    assert not [p for p in (tmp_path / "DT-01").iterdir() if p.name.startswith(".")]


def test_manifest_json_reuses_the_canonical_body():
    m = sample_manifest(4)
    data = pf.manifest_json(m, pf.canonical_json(m))
    assert json.loads(data) == m and data.startswith(b'{"version":4,"generated_at":')
    assert pf.manifest_json(m) == data


def test_station_code_cannot_escape_the_folder(tmp_path: Path):
    with pytest.raises(ValueError):
        pf.paths_for(tmp_path, "../evil", DAY)


def test_unplaced_of_relays_carry_relay_id():
    m = pf.build_manifest(
        "X", DAY, 1, GENERATED, [], [Unplaced("VOV", "Trùng giờ", relay_id=4)], timezone="UTC"
    )
    assert m["unplaced"] == [{"title": "VOV", "reason": "Trùng giờ", "relay_id": 4}]


def test_manifest_is_accepted_by_the_station_agent():
    from broadcast.agent.manifest import parse_manifest

    m = sample_manifest(5)
    parsed = parse_manifest(pf.manifest_json(m), station="DT-01", day=DAY)
    assert parsed.version == 5 and len(parsed.items) == len(m["items"])
    assert [it.kind for it in parsed.items] == [it["kind"] for it in m["items"]]
    relay_item = next(it for it in parsed.items if it.kind == "relay")
    assert relay_item.stream_url == "http://stream.example/vov1" and relay_item.sha256 is None


def test_folder_manifest_makes_media_urls_relative():
    m = sample_manifest()
    bulletin_sha, jingle_sha = f"{1:064x}", f"{9999:064x}"
    out = pf.folder_manifest(m, {bulletin_sha: f"{bulletin_sha}.mp3"})
    urls = {it["kind"]: it["url"] for it in out["items"]}
    assert urls["bulletin"] == f"../media/{bulletin_sha}.mp3"
    assert urls["relay"] == "http://stream.example/vov1"
    assert urls["jingle"] == f"/api/v1/media/{jingle_sha}"  # not exported: left as it was
    assert m["items"][1]["url"] == f"/api/v1/media/{bulletin_sha}"  # the original is untouched


def _varied_manifests() -> list[dict]:
    plain = sample_manifest()
    odd = {**sample_manifest(7), "station": 'Đài "số" 1\\\t', "emergency": True, "extra": {"ä": [1, 2.5, None]}}
    empty = {**sample_manifest(1), "items": [], "unplaced": []}
    return [plain, odd, empty, {"station": "X"}, {}]


@pytest.mark.parametrize("m", _varied_manifests())
def test_canonical_json_from_encoded_parts_is_the_plain_encoding(m: dict):
    parts = {k: pf.encode_canonical(m[k]) for k in ("items", "unplaced") if k in m}
    plain = json.dumps(
        {k: v for k, v in m.items() if k not in pf.VOLATILE_KEYS},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    ).encode()
    assert pf.canonical_json(m) == plain
    assert pf.canonical_json(m, parts) == plain


@pytest.mark.parametrize("m", _varied_manifests())
def test_stored_json_from_encoded_parts_is_json_dumps(m: dict):
    parts = {k: json.dumps(m[k]) for k in ("items",) if k in m}
    assert pf.stored_json(m, parts) == json.dumps(m)
    assert pf.stored_json(m, {}) == json.dumps(m)


def test_shared_manifest_is_build_manifest_key_for_key():
    m = sample_manifest()
    shared = pf.shared_manifest(
        "DT-01", DAY, 3, GENERATED, m["items"], m["unplaced"], timezone="Asia/Ho_Chi_Minh", emergency=False
    )
    assert shared == m and list(shared) == list(m)


def test_files_from_shared_track_sections_are_the_same(tmp_path: Path):
    m = {**sample_manifest(), "emergency": True}
    tracks = (pf.m3u8_tracks(m), pf.xspf_tracks(m))
    assert pf.render_m3u8(m, tracks[0]) == pf.render_m3u8(m)
    assert pf.render_xspf(m, tracks[1]) == pf.render_xspf(m)
    a = pf.write_playlist_files(tmp_path / "a", m)
    b = pf.write_playlist_files(tmp_path / "b", m, pf.canonical_json(m), tracks)
    for x, y in ((a.json, b.json), (a.m3u8, b.m3u8), (a.xspf, b.xspf)):
        assert x.read_bytes() == y.read_bytes()
