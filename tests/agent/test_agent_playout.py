"""The agent end to end in one process: real HTTP server, real MP3 files, real decoding; a fake clock
and a recording sink instead of a sound card, so a session airs in milliseconds."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from broadcast.agent.agent import RELAY_ATTEMPTS, Agent, AgentConfig
from broadcast.agent.cache import file_sha256
from loa import __version__
from tests.agent.helpers import FakeClock, RecordingPlayer, StationServer, Tone, make_item, make_manifest

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = "2026-11-26"
START = datetime(2026, 11, 26, 5, 29, tzinfo=TZ)
T0 = datetime(2026, 11, 26, 5, 30, tzinfo=TZ)
GAP = 0.7


def config(server: StationServer, cache_dir: Path, **kw: object) -> AgentConfig:
    return AgentConfig(server=server.url, station="XA-01", token=server.token, cache_dir=cache_dir, **kw)  # type: ignore[arg-type]


def session_items(tones: dict[str, Tone], names: str = "abc") -> list[dict]:
    items, t = [], T0
    for name in names:
        items.append(make_item(t, tones[name], f"Tin {name}", session="05:30"))
        t += timedelta(seconds=tones[name].duration_s + GAP)
    return items


def publish_session(
    server: StationServer, tones: dict[str, Tone], names: str = "abc", version: int = 1
) -> list[dict]:
    items = session_items(tones, names)
    server.publish(make_manifest("XA-01", DAY, version, items))
    server.add_media(*(tones[n] for n in names))
    return items


def offsets(sink: RecordingPlayer) -> list[float]:
    return [round((a.start - T0).total_seconds(), 3) for a in sink.aired]


def test_plays_today_from_the_cache_when_the_server_is_unreachable(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    items = publish_session(server, tones)
    clock = FakeClock(START)
    assert Agent(config(server, cache_dir), RecordingPlayer(clock), clock=clock).sync_once().ok
    server.close()  # the commune loses its internet

    clock = FakeClock(START)
    sink = RecordingPlayer(clock)
    agent = Agent(config(server, cache_dir), sink, clock=clock)
    report = agent.sync_once()
    assert not report.reachable
    agent.play_until(T0 + timedelta(minutes=10))

    planned = [round((datetime.fromisoformat(i["start"]) - T0).total_seconds(), 3) for i in items]
    assert offsets(sink) == planned  # each item starts exactly at its planned offset
    for aired, name in zip(sink.aired, "abc", strict=True):
        assert aired.completed and aired.sample_rate == 44_100
        assert np.array_equal(aired.samples, tones[name].samples)  # the right samples, all of them
    rows = agent.asrun.rows()
    assert [(r["title"], r["status"]) for r in rows] == [
        ("Tin a", "played"),
        ("Tin b", "played"),
        ("Tin c", "played"),
    ]
    assert datetime.fromisoformat(rows[1]["actual_start"]) == datetime.fromisoformat(rows[1]["planned_start"])


def test_a_file_with_a_wrong_checksum_is_not_cached_not_aired_logged_and_retried(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    publish_session(server, tones)
    b = tones["b"]
    server.wrong[b.sha256] = tones["c"].data  # the server hands out the wrong file for "b"
    clock = FakeClock(START)
    sink = RecordingPlayer(clock)
    agent = Agent(config(server, cache_dir, retry_after_s=60), sink, clock=clock)
    with caplog.at_level(logging.ERROR, logger="broadcast.agent"):
        report = agent.sync_once()
    assert any(b.sha256 in e for e in report.errors)
    assert any("sha256" in r.getMessage() and b.sha256 in r.getMessage() for r in caplog.records)
    assert b.sha256 not in agent.cache.available() and not agent.cache.part_path(b.sha256).exists()

    agent.sync_once()  # within the back-off: not fetched again
    assert len(server.requests_for(b.sha256)) == 1

    agent.play_until(T0 + timedelta(seconds=5))
    # "a" and "c" aired; "b" waits for a good file and does not hold "c" back
    assert [len(a.samples) for a in sink.aired] == [len(tones["a"].samples), len(tones["c"].samples)]
    assert np.array_equal(sink.aired[1].samples, tones["c"].samples)

    del server.wrong[b.sha256]  # fixed on the server; the back-off (60 s from 05:29) has passed
    assert agent.sync_once().ok
    assert len(server.requests_for(b.sha256)) == 2
    agent.play_until(T0 + timedelta(minutes=10))
    assert [a.completed for a in sink.aired] == [True, True, True]
    assert np.array_equal(sink.aired[2].samples, b.samples)  # the verified "b", late but whole
    assert [r["status"] for r in agent.asrun.rows()] == ["played"] * 3


def test_an_emergency_interrupts_the_current_item_then_the_session_resumes(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    items = publish_session(server, tones)
    e = tones["e"]
    clock = FakeClock(START)
    fired: list[datetime] = []

    def on_chunk(now: datetime) -> None:
        # half a second into "a", the province issues an emergency; the next poll picks it up
        if not fired and now >= T0 + timedelta(seconds=0.5):
            fired.append(now)
            emergency = make_item(now, e, "KHẨN CẤP: lũ quét", priority="emergency")
            server.publish(make_manifest("XA-01", DAY, 2, [*items, emergency], emergency=True))
            server.add_media(e)
            agent.sync_once()

    sink = RecordingPlayer(clock, on_chunk)
    agent = Agent(config(server, cache_dir), sink, clock=clock)
    agent.sync_once()
    agent.play_until(T0 + timedelta(minutes=10))

    a = tones["a"].samples
    cut, emergency, again, b, c = sink.aired
    assert not cut.completed and 0 < len(cut.samples) < len(a)
    assert np.array_equal(cut.samples, a[: len(cut.samples)])
    assert emergency.start == fired[0]  # aired the moment it was known, not at the next item
    assert np.array_equal(emergency.samples, e.samples) and emergency.completed
    assert np.array_equal(again.samples, a) and again.completed  # the cut item is replayed whole
    assert np.array_equal(b.samples, tones["b"].samples) and np.array_equal(c.samples, tones["c"].samples)
    rows = agent.asrun.rows()
    assert [(r["title"], r["status"]) for r in rows] == [
        ("Tin a", "cut"),
        ("KHẨN CẤP: lũ quét", "played"),
        ("Tin a", "played"),
        ("Tin b", "played"),
        ("Tin c", "played"),
    ]
    assert "khẩn cấp" in rows[0]["detail"] and rows[1]["version"] == 2
    # what cut it travels with the row (the panel's history and the reports show it)
    assert [r["cause"] for r in rows] == ["emergency", "", "", "", ""]
    agent.upload_asrun()
    assert server.asrun_rows[rows[0]["uid"]]["cause"] == "emergency"


def test_asrun_upload_is_idempotent_across_a_lost_answer(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    publish_session(server, tones)
    clock = FakeClock(START)
    agent = Agent(config(server, cache_dir), RecordingPlayer(clock), clock=clock)
    agent.sync_once()
    agent.play_until(T0 + timedelta(minutes=10))
    uids = [r["uid"] for r in agent.asrun.rows()]
    assert len(uids) == 3

    server.lose_answers = 1  # the server stores the rows but the answer never arrives
    assert not agent.upload_asrun().reachable
    assert agent.upload_asrun().uploaded == 3  # same rows, same uids: the server drops them as duplicates
    agent.upload_asrun()  # nothing left to send
    sent = [row["uid"] for post in server.asrun_posts for row in post["rows"]]
    assert sent == uids + uids and sorted(server.asrun_rows) == sorted(uids)
    row = server.asrun_rows[uids[0]]
    assert set(row) == {
        "uid", "date", "version", "kind", "title", "sha256", "bulletin_id", "planned_start", "planned_end",
        "actual_start", "actual_end", "status", "detail", "cause", "language",
    }  # fmt: skip
    assert server.asrun_posts[0]["station"] == "XA-01"


def test_a_row_the_server_refuses_does_not_block_the_others(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    publish_session(server, tones)
    server.reject_titles = {"Tin b"}
    clock = FakeClock(START)
    agent = Agent(config(server, cache_dir), RecordingPlayer(clock), clock=clock)
    agent.sync_once()
    agent.play_until(T0 + timedelta(minutes=10))
    assert agent.upload_asrun().uploaded == 2
    assert sorted(r["title"] for r in server.asrun_rows.values()) == ["Tin a", "Tin c"]
    assert agent.asrun.pending() == []  # the refused row is set aside, not retried forever


def test_heartbeat_reports_what_is_cached_and_a_bad_token_is_an_error(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    publish_session(server, tones)
    clock = FakeClock(START)
    agent = Agent(config(server, cache_dir), RecordingPlayer(clock), clock=clock)
    assert agent.sync_once().heartbeat
    beat = server.heartbeats[-1]
    assert beat["station"] == "XA-01" and beat["agent_version"] == __version__
    assert beat["cached_until"] == DAY and beat["playing"] is None  # tomorrow has no playlist yet
    assert server.requests_for("/api/v1/heartbeat")[-1][2]["Authorization"] == f"Bearer {server.token}"

    intruder = Agent(
        AgentConfig(server=server.url, station="XA-01", token="wrong", cache_dir=cache_dir / "x"),
        RecordingPlayer(clock),
        clock=clock,
    )
    report = intruder.sync_once()
    assert not report.ok and any("từ chối mã truy cập" in e for e in report.errors)


def test_a_relay_airs_the_stream_for_its_window_and_a_dead_relay_is_logged_failed(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    server.streams["/live.mp3"] = tones["long"].data  # 550 Hz "radio"
    relay = {
        "start": T0.isoformat(), "duration_s": 1.5, "kind": "relay", "title": "Tiếp sóng VOV1",
        "priority": "normal", "sha256": None, "size": 0, "url": "", "stream_url": f"{server.url}/live.mp3",
    }  # fmt: skip
    dead = {**relay, "start": (T0 + timedelta(seconds=2)).isoformat(), "title": "Tiếp sóng hỏng",
            "stream_url": "http://127.0.0.1:9/none.mp3"}  # fmt: skip
    after = make_item(T0 + timedelta(seconds=4), tones["b"], "Tin b")
    server.publish(make_manifest("XA-01", DAY, 1, [relay, dead, after]))
    server.add_media(tones["b"])
    clock = FakeClock(START)
    sink = RecordingPlayer(clock)
    agent = Agent(config(server, cache_dir, relay_connect_timeout_s=5), sink, clock=clock)
    agent.sync_once()
    agent.play_until(T0 + timedelta(minutes=10))

    live, b = sink.aired
    assert abs(len(live.samples) - 1.5 * 44_100) < 0.05 * 44_100
    spectrum = np.abs(np.fft.rfft(live.samples[:, 0].astype(float)))
    assert abs(np.argmax(spectrum) * 44_100 / len(live.samples) - 550) < 5
    assert np.array_equal(b.samples, tones["b"].samples)
    rows = {r["title"]: r for r in agent.asrun.rows()}
    assert rows["Tiếp sóng VOV1"]["status"] == "played"
    assert (
        rows["Tiếp sóng hỏng"]["status"] == "failed"
        and "Không kết nối được" in rows["Tiếp sóng hỏng"]["detail"]
    )
    assert rows["Tin b"]["status"] == "played"


def test_folder_layout_reads_manifests_and_relative_media_from_a_static_folder(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    b = tones["b"]
    item = make_item(T0, b, "Tin b", url=f"../media/{b.sha256}.mp3")
    server.publish(make_manifest("XA-01", DAY, 1, [item]), folder=True)
    server.add_media(b)
    clock = FakeClock(START)
    agent = Agent(
        AgentConfig(
            server=f"{server.url}/folder", station="XA-01", token="", cache_dir=cache_dir, layout="folder"
        ),
        RecordingPlayer(clock),
        clock=clock,
    )
    assert agent.sync_once().ok
    paths = [p for _, p, _ in server.log]
    assert f"/folder/XA-01/{DAY}.json" in paths and f"/folder/media/{b.sha256}.mp3" in paths
    assert agent.cache.available() == {b.sha256}
    assert not any(method == "POST" for method, _, _ in server.log)  # a static folder takes no reports

    reporting = Agent(
        AgentConfig(server=f"{server.url}/folder", station="XA-01", token=server.token, cache_dir=cache_dir,
                    layout="folder", report_server=server.url),
        RecordingPlayer(clock),
        clock=clock,
    )  # fmt: skip
    assert reporting.sync_once().heartbeat and server.heartbeats[-1]["cached_until"] == DAY


def test_manifests_older_than_two_days_are_pruned_with_their_media(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    publish_session(server, tones, "a")
    clock = FakeClock(START)
    agent = Agent(config(server, cache_dir), RecordingPlayer(clock), clock=clock)
    agent.sync_once()
    assert tones["a"].sha256 in agent.cache.available()
    clock.advance(2 * 86_400)
    agent.sync_once()  # day + 2: still kept
    assert tones["a"].sha256 in agent.cache.available()
    clock.advance(86_400)
    agent.sync_once()
    assert agent.cache.available() == set() and agent.cache.manifest_days() == []


def test_a_verified_file_that_is_not_audio_is_logged_failed_and_the_session_goes_on(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    junk = b"<html>khong phai am thanh</html>" * 50
    bad = Tone(
        "bad", cache_dir / "x", junk, hashlib.sha256(junk).hexdigest(), 1.0, tones["b"].samples[:0], 44_100
    )
    server.publish(
        make_manifest("XA-01", DAY, 1, [make_item(T0, bad, "Hỏng"), make_item(T0, tones["b"], "Tin b")])
    )
    server.add_media(bad, tones["b"])
    clock = FakeClock(START)
    sink = RecordingPlayer(clock)
    agent = Agent(config(server, cache_dir), sink, clock=clock)
    agent.sync_once()
    agent.play_until(T0 + timedelta(minutes=10))
    rows = {r["title"]: r for r in agent.asrun.rows()}
    assert rows["Hỏng"]["status"] == "failed" and "không đọc được tệp" in rows["Hỏng"]["detail"]
    assert rows["Hỏng"]["cause"] == "bad_file" and rows["Tin b"]["cause"] == ""
    assert rows["Tin b"]["status"] == "played" and len(sink.aired) == 1


def test_a_sound_device_failure_is_logged_not_fatal(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    publish_session(server, tones, "bc")

    class Unplugged:
        def play(self, chunks, sample_rate, cancel):  # type: ignore[no-untyped-def]
            raise RuntimeError("thiết bị bị rút")

    clock = FakeClock(START)
    agent = Agent(config(server, cache_dir), Unplugged(), clock=clock)
    agent.sync_once()
    agent.play_until(T0 + timedelta(minutes=10))
    assert [(r["status"], r["detail"]) for r in agent.asrun.rows()] == [
        ("failed", "lỗi thiết bị phát: thiết bị bị rút")
    ] * 2
    assert {r["cause"] for r in agent.asrun.rows()} == {"device"}


def test_the_poll_itself_fetches_an_emergency_file_without_waiting_for_other_downloads(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    items = session_items(tones, "ab")
    emergency = make_item(T0, tones["e"], "KHẨN CẤP", priority="emergency")
    server.publish(make_manifest("XA-01", DAY, 2, [*items, emergency], emergency=True))
    server.add_media(tones["a"], tones["b"], tones["e"])
    clock = FakeClock(START)
    agent = Agent(config(server, cache_dir), RecordingPlayer(clock), clock=clock)
    report = agent.poll_manifests()  # the download thread has not run at all
    assert report.downloaded == [tones["e"].sha256]
    assert agent.cache.available() == {tones["e"].sha256}


def test_a_relay_that_drops_is_logged_cut_and_reconnected_a_few_times_within_its_window(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    server.streams["/short.mp3"] = tones["b"].data  # one second of "radio", then the source is gone
    relay = {
        "start": T0.isoformat(), "duration_s": 6.0, "kind": "relay", "title": "Tiếp sóng", "priority": "normal",
        "sha256": None, "size": 0, "url": "", "stream_url": f"{server.url}/short.mp3",
    }  # fmt: skip
    server.publish(make_manifest("XA-01", DAY, 1, [relay]))
    clock = FakeClock(START)
    sink = RecordingPlayer(clock)
    agent = Agent(config(server, cache_dir), sink, clock=clock)
    agent.sync_once()
    agent.play_until(T0 + timedelta(seconds=10))
    rows = agent.asrun.rows()
    assert [r["status"] for r in rows] == ["cut"] * RELAY_ATTEMPTS
    assert all("kết thúc sớm" in r["detail"] for r in rows)
    assert len(sink.aired) == RELAY_ATTEMPTS
    assert all(abs(len(a.samples) - 44_100) < 0.05 * 44_100 for a in sink.aired)


def test_a_sync_cut_mid_download_resumes_on_the_next_sync(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    publish_session(server, tones, "a")
    a = tones["a"]
    server.cut_after[a.sha256] = 7_000  # the commune's link drops 7 kB into the file
    clock = FakeClock(START)
    agent = Agent(config(server, cache_dir), RecordingPlayer(clock), clock=clock)
    first = agent.sync_once()
    assert not first.ok and a.sha256 not in agent.cache.available()
    assert agent.cache.part_path(a.sha256).stat().st_size == 7_000
    assert agent.sync_once().ok
    assert [g[2].get("Range") for g in server.requests_for(a.sha256)] == [None, "bytes=7000-"]
    assert file_sha256(agent.cache.media_path(a.sha256)) == a.sha256


def test_after_a_restart_nothing_already_aired_is_aired_again(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    publish_session(server, tones)
    clock = FakeClock(START)
    first = Agent(config(server, cache_dir), RecordingPlayer(clock), clock=clock)
    first.sync_once()
    first.play_until(T0 + timedelta(seconds=tones["a"].duration_s + 0.1))  # "a" aired, then the PC reboots
    sink = RecordingPlayer(clock)
    again = Agent(config(server, cache_dir), sink, clock=clock)
    again.play_until(T0 + timedelta(minutes=10))
    assert [len(a.samples) for a in sink.aired] == [len(tones["b"].samples), len(tones["c"].samples)]
    assert [r["title"] for r in again.asrun.rows()] == ["Tin a", "Tin b", "Tin c"]


def test_a_skipped_item_says_why_and_a_version_reports_its_language(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    """Issue 11.3/11.6: the cause of a skip and the language aired travel with the as-run row."""
    kho = {**make_item(T0, tones["a"], "Tin a (Tiếng K'Ho)"), "language": "kpm"}
    missing = make_item(T0 + timedelta(seconds=30), tones["b"], "Tin b")  # its file never arrives
    server.publish(make_manifest("XA-01", DAY, 1, [kho, missing]))
    server.add_media(tones["a"])
    clock = FakeClock(START)
    agent = Agent(config(server, cache_dir), RecordingPlayer(clock), clock=clock)
    agent.sync_once()
    agent.play_until(T0 + timedelta(hours=1))
    rows = {r["title"]: r for r in agent.asrun.rows()}
    assert (rows["Tin a (Tiếng K'Ho)"]["status"], rows["Tin a (Tiếng K'Ho)"]["language"]) == ("played", "kpm")
    assert (rows["Tin b"]["status"], rows["Tin b"]["cause"]) == ("skipped", "no_media")
    agent.upload_asrun()
    assert server.asrun_rows[rows["Tin b"]["uid"]]["cause"] == "no_media"
