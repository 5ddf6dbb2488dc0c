"""The manifest model (broadcast/manifest.py): the writer's dict is the model's, bytes unchanged,
and every reader gets the same typed view of it."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from broadcast import playlist_files as pf
from broadcast.manifest import MANIFEST_SCHEMA, Item, Manifest, ManifestError, Unplaced, parse_manifest
from broadcast.planner import Unplaced as PlanUnplaced
from broadcast.planner import plan_day
from tests.planner.builders import DAY, STATION, bulletin, jingle, relay, session

VN = timezone(timedelta(hours=7))
GENERATED = datetime(2026, 11, 30, 17, 5, tzinfo=UTC)


def written() -> dict:
    plan = plan_day(
        STATION, DAY, [session(1, 6, 0, 30)], [bulletin(1, 61.4, priority="emergency"), bulletin(2, 30, rendered=False)],
        [relay(1, 6, 10, 15)], jingle=jingle(5),
    )  # fmt: skip
    return pf.build_manifest(
        "DT-01", DAY, 4, GENERATED, plan.items, [*plan.unplaced, PlanUnplaced("VOV", "Trùng giờ", relay_id=3)],
        timezone="Asia/Ho_Chi_Minh", emergency=True,
    )  # fmt: skip


def test_what_the_writer_stores_parses_back_to_the_same_dict_key_for_key_and_in_order():
    m = written()
    again = parse_manifest(json.loads(pf.manifest_json(m))).to_json()
    assert again == m
    assert json.dumps(again, ensure_ascii=False) == json.dumps(m, ensure_ascii=False)  # the API's bytes
    assert pf.manifest_json(again) == pf.manifest_json(m)  # the file's bytes


def test_the_file_format_is_pinned_byte_for_byte():
    """The contract agents in the field read: version and time stamp first, then sorted keys."""
    start = datetime(2026, 12, 1, 6, 0, tzinfo=VN)
    model = Manifest(
        "XA-01", date(2026, 12, 1), 2,
        (Item(start, 12.5, "bulletin", "Tin", "normal", "ab" * 32, 100, "/api/v1/media/" + "ab" * 32,
              bulletin_id=7, session="06:00", id="b7@x"),
         Item(start + timedelta(seconds=12.5), 600.0, "relay", "VOV1", "priority", None, 0, "http://r/1",
              stream_url="http://r/1", relay_id=2, session="06:00", id="r2@y")),
        generated_at=GENERATED, timezone="Asia/Ho_Chi_Minh",
        unplaced=(Unplaced("B", "Hết chỗ", bulletin_id=9, missing=2),),
    )  # fmt: skip
    sha = "ab" * 32
    assert pf.manifest_json(model.to_json()) == (
        '{"version":2,"generated_at":"2026-11-30T17:05:00+00:00","date":"2026-12-01","emergency":false,'
        '"items":[{"bulletin_id":7,"duration_s":12.5,"id":"b7@x","kind":"bulletin","priority":"normal",'
        f'"session":"06:00","sha256":"{sha}","size":100,"start":"2026-12-01T06:00:00+07:00","title":"Tin",'
        f'"url":"/api/v1/media/{sha}"}},{{"duration_s":600.0,"id":"r2@y","kind":"relay","priority":"priority",'
        '"relay_id":2,"session":"06:00","sha256":null,"size":0,"start":"2026-12-01T06:00:12.500000+07:00",'
        '"stream_url":"http://r/1","title":"VOV1","url":"http://r/1"}],"station":"XA-01",'
        '"timezone":"Asia/Ho_Chi_Minh","unplaced":[{"bulletin_id":9,"missing":2,"reason":"Hết chỗ","title":"B"}]}'
    ).encode()


def test_readers_get_typed_fields_and_extensions():
    m = parse_manifest(pf.manifest_json(written()), station="DT-01", day=DAY)
    assert (m.version, m.emergency, m.timezone, m.generated_at) == (4, True, "Asia/Ho_Chi_Minh", GENERATED)
    kinds = [it.kind for it in m.items]
    assert kinds[0] == "jingle" and "relay" in kinds and "bulletin" in kinds
    assert all(it.id and it.start.utcoffset() == timedelta(hours=7) for it in m.items)
    assert [(u.title, u.bulletin_id, u.relay_id) for u in m.unplaced] == [("Bản tin 2", 2, None), ("VOV", None, 3)]


def test_an_older_manifest_without_the_extensions_still_parses():
    m = written()
    for key in ("generated_at", "timezone", "emergency", "unplaced"):
        del m[key]
    for it in m["items"]:
        it.pop("id")
    parsed = parse_manifest(m)
    assert parsed.generated_at is None and parsed.unplaced == () and parsed.items[0].id is None


@pytest.mark.parametrize(
    ("change", "message"),
    [({"items": [{"kind": "jingle", "duration_s": 5, "start": "2026-12-01T06:00:00+07:00"}]}, "sha256"),
     ({"items": {}}, "danh sách"), ({"date": "mai"}, "thiếu trường")],
)  # fmt: skip
def test_the_one_validation_refuses_what_agents_cannot_play(change: dict, message: str):
    with pytest.raises(ManifestError, match=message):
        parse_manifest({**written(), **change})


def test_the_api_describes_the_model():
    from web.openapi import openapi_document

    doc = openapi_document()
    assert doc["components"]["schemas"]["Manifest"] is MANIFEST_SCHEMA
    item_props = set(MANIFEST_SCHEMA["properties"]["items"]["items"]["properties"])
    assert {k for it in written()["items"] for k in it} <= item_props
    assert set(written()) <= set(MANIFEST_SCHEMA["properties"])


@pytest.mark.parametrize("module", ["broadcast.manifest", "broadcast.agent.manifest"])
def test_the_model_imports_no_database_nor_web_framework(module: str):
    """The station agent imports it on a commune PC."""
    code = (
        f"import sys, {module}; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'flask', 'werkzeug')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_replanning_reads_the_published_version_through_the_model():
    from broadcast.generate import _published
    from broadcast.playlist_loading import PlanStation

    st = PlanStation(1, "DT-01", "Asia/Ho_Chi_Minh")
    m = written()
    kept, prev = _published(st, DAY, m)
    assert prev is m and [it.kind for it in kept] == [it["kind"] for it in m["items"]]
    broken = {**m, "items": [{**m["items"][0], "sha256": "not-a-sha"}]}
    assert _published(st, DAY, broken) == ((), None)  # logged; replanned as if nothing was published
