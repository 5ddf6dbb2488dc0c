"""The station agent: keeps the cache in sync with the server and airs the day from that cache.

Three thin loops share one state (manifests, cached media, done items): the poll loop (manifests every
``poll_s``, as-run upload, heartbeat, pruning), the download loop (missing media, emergencies first) and
the playout loop (``play_step`` asks ``schedule.next_actions`` what to do). Every decision lives in
``schedule``; this module only does the I/O around it. The network can vanish at any point: playout
only ever reads the cache, and the as-run log is written locally before it is uploaded.
"""

from __future__ import annotations

import collections
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import requests

from broadcast.agent.asrun_log import FINAL_STATUSES, UPLOAD_FIELDS, AsRunLog
from broadcast.agent.cache import Cache, CachedManifest, ChecksumMismatch, DownloadError
from broadcast.agent.client import AuthRejected, EventsUnavailable, ServerClient, UploadRejected
from broadcast.agent.clock import Clock, SystemClock
from broadcast.agent.manifest import ManifestError, parse_manifest
from broadcast.agent.player import Player, PlayOutcome
from broadcast.agent.remote import (
    KINDS as ORDER_KINDS,
)
from broadcast.agent.remote import (
    TONE_RATE,
    Order,
    VolumeFile,
    disk_free_text,
    parse_orders,
    scaled,
    silence_chunks,
    tone_chunks,
)
from broadcast.agent.schedule import (
    SKIP_CAUSES,
    Decision,
    Entry,
    Rules,
    build_entries,
    interrupting_emergency,
    next_actions,
)
from broadcast.agent.sources import RelayError, RelayStream, stream_file
from loa import __version__

log = logging.getLogger(__name__)

#: The playout loop looks again at least this often even when nothing is due (clock changes, new days).
MAX_IDLE_S = 30.0
UPLOAD_BATCH = 100
#: A relay whose stream drops is reconnected for the rest of its window, at most this many times in all.
RELAY_ATTEMPTS = 3
#: An event stream that ends sooner than this is reopened after a backoff, not at once.
MIN_STREAM_S = 5.0
#: Acknowledged as-run rows are kept locally this many days.
ASRUN_KEEP_DAYS = 7
#: Detail of the "cut" row made on start for an item that was on air when the agent was killed.
KILLED_DETAIL = "chương trình bị dừng đột ngột khi đang phát; giờ kết thúc là ước tính"


@dataclass(frozen=True)
class AgentConfig:
    server: str
    station: str
    token: str
    cache_dir: Path
    layout: str = "api"
    report_server: str | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    poll_s: float = 30.0
    heartbeat_s: float = 60.0
    #: Manifests older than this many days (and media only they use) are pruned.
    keep_days: int = 2
    #: A file that failed its checksum is fetched again after this many seconds, then after twice
    #: as long each time it fails again (2, 4, 8 … s), never waiting more than ``retry_max_s``.
    retry_after_s: float = 2.0
    retry_max_s: float = 120.0
    #: On shutdown, unsent as-run rows get this many seconds to reach the server.
    shutdown_upload_s: float = 5.0
    #: While an item airs, a progress mark is written this often (the approximate end after a kill).
    progress_s: float = 5.0
    http_timeout_s: float = 20.0
    relay_connect_timeout_s: float = 15.0
    rules: Rules = field(default_factory=Rules)
    #: Listen to the server's event stream (``layout == "api"``): an emergency is fetched within a
    #: second instead of at the next poll. Polling goes on regardless; a dropped stream is reopened
    #: after 1, 2, 4 … s (at most ``events_retry_max_s``), and every (re)connect polls at once.
    events: bool = True
    events_retry_max_s: float = 60.0


@dataclass
class SyncReport:
    reachable: bool = True
    updated: list[date] = field(default_factory=list)
    downloaded: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    uploaded: int = 0
    heartbeat: bool = False

    @property
    def ok(self) -> bool:
        return self.reachable and not self.errors

    def merge(self, other: SyncReport) -> None:
        self.reachable = self.reachable and other.reachable
        self.updated += other.updated
        self.downloaded += other.downloaded
        self.errors += other.errors
        self.uploaded += other.uploaded
        self.heartbeat = self.heartbeat or other.heartbeat


def retry_delay(failures: int, first_s: float, max_s: float) -> float:
    """Seconds before fetching a file again after its ``failures``-th bad checksum: doubling, capped."""
    return float(min(max_s, first_s * 2 ** min(max(failures, 1) - 1, 30)))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


class Agent:
    def __init__(
        self, config: AgentConfig, player: Player, *, clock: Clock | None = None,
        http: requests.Session | None = None,
    ) -> None:  # fmt: skip
        self.config = config
        self.player = player
        self.clock: Clock = clock or SystemClock()
        self.cache = Cache(config.cache_dir)
        self.asrun = AsRunLog(config.cache_dir)
        for row in self.asrun.reconcile(KILLED_DETAIL):
            log.warning("'%s' bị cắt khi máy dừng đột ngột (đã ghi nhật ký)", row.get("title"))
        self.client = ServerClient(
            config.server, config.station, config.token, layout=config.layout,
            report_server=config.report_server, http=http, timeout=config.http_timeout_s,
        )  # fmt: skip
        self._tz = ZoneInfo(config.timezone)
        self._lock = threading.RLock()
        self._manifests: dict[date, CachedManifest] = {}
        self._available = self.cache.available()
        self._done = self.asrun.done_keys()
        self._retry_at: dict[str, datetime] = {}
        self._failures: dict[str, int] = {}
        self._relay_attempts: dict[str, int] = {}
        self._current: Entry | None = None
        self._airing: str | None = None
        self._interrupted_by: Entry | None = None
        self._interrupt = threading.Event()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._downloads_wanted = threading.Event()
        self._poll_now = threading.Event()
        self._last_heartbeat: datetime | None = None
        # remote control (broadcast/agent/remote.py)
        self._volume_file = VolumeFile(config.cache_dir)
        self._volume = self._volume_file.load()
        self._orders_seen: set[int] = set()
        self._acks: dict[int, dict[str, Any]] = {}
        self._queued: collections.deque[Order] = collections.deque()
        self._paused_until: datetime | None = None
        self._remote_cut: tuple[str, bool] | None = None
        #: Title of a test tone or play-now on air (they are not schedule entries).
        self._remote_playing: str | None = None
        self._load_cached()

    # --- shared state ------------------------------------------------------------------
    def days(self) -> list[date]:
        """Today and tomorrow in the station's time zone: the agent always holds the next 24 h."""
        today = self.clock.now().astimezone(self._tz).date()
        return [today, today + timedelta(days=1)]

    def _load_cached(self) -> None:
        days = self.days()
        with self._lock:
            for day in list(self._manifests):
                if day not in days:
                    del self._manifests[day]
            for day in days:
                if day not in self._manifests:
                    cached = self.cache.load_manifest(day, self.config.station)
                    if cached is not None:
                        self._manifests[day] = cached

    def entries(self) -> list[Entry]:
        self._load_cached()
        with self._lock:
            return build_entries(c.manifest for c in self._manifests.values())

    @property
    def current(self) -> Entry | None:
        return self._current

    def _after_change(self) -> None:
        self._wake.set()
        self._downloads_wanted.set()
        self._check_interrupt()

    def _check_interrupt(self) -> None:
        with self._lock:
            current, done, available = self._current, set(self._done), set(self._available)
        if current is None:
            return
        emergency = interrupting_emergency(
            current, self.entries(), self.clock.now(), done, available, self.config.rules
        )
        with self._lock:  # the item may have ended meanwhile: never cut its successor on a stale decision
            if emergency is None or self._current is not current or self._interrupt.is_set():
                return
            self._interrupted_by = emergency
            self._interrupt.set()
        log.warning("tin khẩn cấp '%s': ngắt '%s'", emergency.item.title, current.item.title)

    # --- network side ------------------------------------------------------------------
    def poll_manifests(self) -> SyncReport:
        report = SyncReport()
        for day in self.days():
            with self._lock:
                cached = self._manifests.get(day)
            try:
                resp = self.client.get_manifest(day, cached.etag if cached else None)
            except requests.RequestException as exc:
                log.warning("không kết nối được máy chủ (%s); tiếp tục phát từ bộ nhớ đệm", exc)
                report.reachable = False
                break
            if resp.status != "new":
                continue
            try:
                manifest = parse_manifest(resp.body, station=self.config.station, day=day)
            except ManifestError as exc:
                log.error("lịch phát %s bị từ chối: %s", resp.url, exc)
                report.errors.append(f"{day}: {exc}")
                continue
            self.cache.save_manifest(day, resp.body, resp.etag, resp.url)
            with self._lock:
                self._manifests[day] = CachedManifest(manifest, resp.etag, resp.url)
            if cached is None or cached.manifest.version != manifest.version:
                log.info("lịch phát %s phiên bản %d", day, manifest.version)
                report.updated.append(day)
        self._after_change()
        if report.updated and report.reachable:
            # an emergency's file is fetched right here, not queued behind a long download
            report.merge(self.download_missing(emergencies_only=True))
        return report

    def _wanted_media(self, emergencies_only: bool = False) -> list[tuple[Entry, str]]:
        """Media still missing, emergencies first, then in airing order; with the URL to fetch them from."""
        with self._lock:
            done, available = set(self._done), set(self._available)
            base = {day: c.url for day, c in self._manifests.items()}
        wanted: list[tuple[Entry, str]] = []
        seen: set[str] = set()
        entries = self.entries()
        ordered = [e for e in entries if e.item.is_emergency]
        if not emergencies_only:
            ordered += [e for e in entries if not e.item.is_emergency]
        for e in ordered:
            sha = e.item.sha256
            if sha is None or sha in available or sha in seen or e.key in done:
                continue
            seen.add(sha)
            wanted.append((e, urljoin(base.get(e.day, self.client.server), e.item.url)))
        return wanted

    def download_missing(self, emergencies_only: bool = False) -> SyncReport:
        report = SyncReport()
        for entry, url in self._wanted_media(emergencies_only):
            if self._stop.is_set():
                break
            sha = entry.item.sha256
            assert sha is not None
            now = self.clock.now()
            retry_at = self._retry_at.get(sha)
            if retry_at is not None and now < retry_at:
                continue
            try:
                self.cache.download(
                    self.client.http, url, sha, entry.item.size, timeout=self.config.http_timeout_s
                )
            except ChecksumMismatch as exc:
                failures = self._failures[sha] = self._failures.get(sha, 0) + 1
                delay = retry_delay(failures, self.config.retry_after_s, self.config.retry_max_s)
                log.error("'%s': %s; thử lại sau %.0f giây", entry.item.title, exc, delay)
                self._retry_at[sha] = now + timedelta(seconds=delay)
                report.errors.append(str(exc))
                continue
            except (requests.RequestException, DownloadError, OSError) as exc:
                log.warning("tải '%s' chưa xong (%s); lần sau sẽ tải tiếp", entry.item.title, exc)
                report.errors.append(f"{entry.item.title}: {exc}")
                if isinstance(exc, requests.ConnectionError | requests.Timeout):
                    report.reachable = False
                    break
                continue
            self._retry_at.pop(sha, None)
            self._failures.pop(sha, None)
            with self._lock:
                self._available.add(sha)
            report.downloaded.append(sha)
            self._after_change()
        return report

    def upload_asrun(self, deadline: float | None = None) -> SyncReport:
        """Send rows the server has not acknowledged; the server dedups by uid, so a retry is harmless.
        With ``deadline`` (time.monotonic()), no batch is started after it."""
        report = SyncReport()
        if not self.client.can_report:
            return report
        pending = self.asrun.pending()
        for start in range(0, len(pending), UPLOAD_BATCH):
            if deadline is not None and time.monotonic() >= deadline:
                break
            batch = pending[start : start + UPLOAD_BATCH]
            try:
                report.uploaded += self._upload(batch)
            except AuthRejected as exc:
                log.error("%s", exc)
                report.errors.append(str(exc))
                break
            except requests.RequestException as exc:
                log.warning("chưa gửi được nhật ký phát (%s); sẽ gửi lại", exc)
                report.reachable = False
                break
        return report

    def _upload(self, batch: list[dict[str, Any]]) -> int:
        rows = [{k: r.get(k) for k in UPLOAD_FIELDS} for r in batch]
        try:
            accepted, duplicates = self.client.post_asrun(rows)
        except UploadRejected as exc:
            if len(batch) == 1:
                log.error("máy chủ từ chối dòng nhật ký %s: %s", batch[0]["uid"], exc)
                self.asrun.mark_rejected([batch[0]["uid"]])
                return 0
            return sum(self._upload([row]) for row in batch)  # find the bad row, keep the rest
        self.asrun.mark_acked(r["uid"] for r in batch)
        log.info("đã gửi nhật ký phát: %d mới, %d trùng", accepted, duplicates)
        return len(batch)

    def cached_until(self) -> date | None:
        """Last day, counting from today without a gap, whose manifest and media are all cached."""
        last = None
        with self._lock:
            for day in self.days():
                cached = self._manifests.get(day)
                if cached is None or any(
                    it.sha256 and it.sha256 not in self._available for it in cached.manifest.items
                ):
                    break
                last = day
        return last

    def send_heartbeat(self) -> SyncReport:
        report = SyncReport()
        if not self.client.can_report:
            return report
        current = self._current
        until = self.cached_until()
        with self._lock:
            acks = list(self._acks.values())[:50]
        info: dict[str, Any] = {
            "time": self.clock.now().isoformat(),
            "agent_version": __version__,
            "cached_until": until.isoformat() if until else None,
            "playing": current.item.title if current else self._remote_playing,
        }
        if acks:
            info["acks"] = acks
        try:
            reply = self.client.heartbeat(info)
        except requests.RequestException as exc:
            log.warning("chưa gửi được tín hiệu hoạt động: %s", exc)
            report.reachable = False
            return report
        except (AuthRejected, UploadRejected, ValueError) as exc:
            log.error("máy chủ không nhận tín hiệu hoạt động: %s", exc)
            report.errors.append(str(exc))
            return report
        self._last_heartbeat = self.clock.now()
        report.heartbeat = True
        with self._lock:
            for ack in acks:
                self._acks.pop(ack["id"], None)
        self.take_orders(parse_orders(reply))
        return report

    # --- remote control ------------------------------------------------------------------
    @property
    def volume(self) -> float:
        return self._volume

    def _ack(self, order: Order, ok: bool, result: str) -> None:
        """Keep the verdict for the next heartbeat, and make that heartbeat come soon."""
        with self._lock:
            self._acks[order.id] = {"id": order.id, "ok": ok, "result": result[:500]}
        self._last_heartbeat = None
        log.info("lệnh từ xa %d (%s): %s — %s", order.id, order.kind, "xong" if ok else "lỗi", result)

    def take_orders(self, orders: list[Order]) -> None:
        """Act on the orders of a heartbeat reply; an order already taken is not taken again."""
        for order in orders:
            with self._lock:
                if order.id in self._orders_seen:
                    continue
                self._orders_seen.add(order.id)
            try:
                self._take(order)
            except Exception as exc:  # a bad order must not stop the agent
                log.exception("lệnh từ xa %d lỗi", order.id)
                self._ack(order, False, f"lỗi: {exc}")

    def _take(self, order: Order) -> None:
        if order.kind not in ORDER_KINDS:
            self._ack(order, False, f"máy phát không biết lệnh '{order.kind}'")
        elif order.kind == "stop":
            minutes = int(order.params.get("minutes", 30))
            self._paused_until = self.clock.now() + timedelta(minutes=minutes)
            title = self._cut_current(f"dừng theo lệnh từ xa ({minutes} phút)", final=False)
            until = self._paused_until.astimezone(self._tz).strftime("%H:%M")
            self._ack(order, True, f"đã dừng{' ' + repr(title) if title else ''}; im lặng đến {until}")
        elif order.kind == "resume":
            self._ack(order, True, self._resume())
        elif order.kind == "skip":
            title = self._cut_current("bỏ qua theo lệnh từ xa", final=True)
            self._ack(order, True, f"đã bỏ qua '{title}'" if title else "không có gì đang phát")
        elif order.kind == "volume":
            level = max(0, min(100, int(order.params.get("level", 100))))
            self._volume_file.save(level)
            self._volume = level / 100.0
            self._ack(order, True, f"âm lượng {level}%")
        else:
            if order.kind == "play_now":
                self._fetch_for(order)
            with self._lock:
                self._queued.append(order)
            self._wake.set()

    def _resume(self) -> str:
        """End a remote stop now (the playout loop waits on ``_wake``); what the ack says."""
        with self._lock:
            paused, self._paused_until = self._paused_until, None
        self._wake.set()
        if paused is None or paused <= self.clock.now():
            return "máy phát không đang dừng"
        return "đã phát lại (hết dừng)"

    def _fetch_for(self, order: Order) -> None:
        sha, size = str(order.params.get("sha256", "")), int(order.params.get("size", 0))
        if sha not in self._available:
            url = urljoin(self.client.server, str(order.params.get("url", "")).lstrip("/"))
            self.cache.download(self.client.http, url, sha, size, timeout=self.config.http_timeout_s)
            with self._lock:
                self._available.add(sha)

    def _cut_current(self, detail: str, *, final: bool) -> str | None:
        """Cut the item on air (as-run "cut" with ``detail``); ``final``: do not air it again."""
        with self._lock:
            current = self._current
            if current is None:
                if self._remote_playing is not None:  # a tone or a play-now: just end it
                    self._interrupt.set()
                return self._remote_playing
            self._remote_cut = (detail, final)
            self._interrupt.set()
        return current.item.title

    def _run_queued(self, order: Order) -> None:
        """Air a test tone or a bulletin now, or run the silent system test (playout thread)."""
        if self._stop.is_set():
            return
        self._interrupt.clear()
        if order.kind == "system_test":
            ok, result = self.system_test()
            self._ack(order, ok, result)
            return
        if order.kind == "tone":
            seconds = float(order.params.get("seconds", 5))
            self._remote_playing = "tiếng thử"
            try:
                outcome = self._safe_play(tone_chunks(seconds), TONE_RATE)
            finally:
                self._remote_playing = None
            self._ack(order, outcome.completed, f"đã phát tiếng thử {seconds:g} giây ở âm lượng "
                      f"{round(self._volume * 100)}%" if outcome.completed else f"tiếng thử bị ngắt {outcome.error}")
            return
        self._play_now(order)

    def _play_now(self, order: Order) -> None:
        p = order.params
        started = self.clock.now()
        try:
            chunks, rate = stream_file(self.cache.media_path(str(p.get("sha256"))))
        except Exception as exc:
            self._ack(order, False, f"không đọc được tệp: {exc}")
            return
        self._remote_playing = str(p.get("title", ""))
        try:
            outcome = self._safe_play(chunks, rate)
        finally:
            self._remote_playing = None
        ended = self.clock.now()
        status = "played" if outcome.completed else "cut"
        self.asrun.append({
            "key": f"remote:{order.id}", "station": self.config.station,
            "date": started.astimezone(self._tz).date().isoformat(), "version": None, "kind": "bulletin",
            "title": str(p.get("title", ""))[:300], "sha256": p.get("sha256"), "bulletin_id": p.get("bulletin_id"),
            "planned_start": _iso(started), "planned_end": None, "actual_start": _iso(started),
            "actual_end": _iso(ended), "status": status, "detail": "phát ngay theo lệnh từ xa",
        })  # fmt: skip
        self._ack(order, outcome.completed, f"đã phát ngay '{p.get('title', '')}'" if outcome.completed
                  else f"phát ngay bị ngắt {outcome.error}")

    def system_test(self) -> tuple[bool, str]:
        """The silent daily check: today's playlist, its files, the sound output, the disk."""
        today = self.days()[0]
        problems, parts = [], []
        with self._lock:
            cached = self._manifests.get(today)
            available = set(self._available)
        if cached is None:
            problems.append("chưa có lịch phát hôm nay")
        else:
            files = [it.sha256 for it in cached.manifest.items if it.sha256]
            have = sum(1 for sha in files if sha in available and self.cache.media_path(sha).exists())
            parts.append(f"lịch hôm nay phiên bản {cached.manifest.version}; tệp {have}/{len(files)}")
            if have < len(files):
                problems.append(f"thiếu {len(files) - have} tệp")
        try:
            out = self.player.play(silence_chunks(0.2), TONE_RATE, threading.Event())
            if not out.completed:
                problems.append(f"thiết bị phát lỗi: {out.error}")
            else:
                parts.append("thiết bị phát: được")
        except Exception as exc:
            problems.append(f"thiết bị phát lỗi: {exc}")
        parts.append(disk_free_text(self.config.cache_dir))
        return not problems, "; ".join(problems + parts)

    def prune(self) -> None:
        today = self.days()[0]
        removed = self.cache.prune(today - timedelta(days=self.config.keep_days), self.config.station)
        if removed:
            log.info("đã xoá %d tệp cũ khỏi bộ nhớ đệm", len(removed))
        self.asrun.compact(today - timedelta(days=ASRUN_KEEP_DAYS))
        with self._lock:
            self._available = self.cache.available()

    def sync_once(self) -> SyncReport:
        """One full round: manifests, media, as-run upload, heartbeat, pruning."""
        report = self.poll_manifests()
        if report.reachable:
            report.merge(self.download_missing())
        report.merge(self.upload_asrun())
        report.merge(self.send_heartbeat())
        self.prune()
        return report

    # --- playout -----------------------------------------------------------------------
    def play_step(self, limit: datetime | None = None) -> Decision:
        """Air what is due now, or wait (at most until ``limit``) for the next thing to become due.
        Remote orders come first (a test tone, a play-now); a remote stop holds playout."""
        self._wake.clear()
        with self._lock:
            order = self._queued.popleft() if self._queued else None
        if order is not None:
            self._run_queued(order)
            return Decision()
        now = self.clock.now()
        paused = self._paused_until
        if paused is not None and now < paused:
            until = min(paused, limit) if limit is not None else paused
            self.clock.wait(max(0.01, min(MAX_IDLE_S, (until - now).total_seconds())), self._wake)
            return Decision()
        entries = self.entries()
        with self._lock:
            done, available = set(self._done), set(self._available)
        decision = next_actions(entries, now, done, available, self.config.rules)
        for entry, reason in decision.skips:
            self._record(entry, "skipped", None, None, reason, SKIP_CAUSES.get(reason, ""))
        if decision.play is not None:
            self._air(decision.play, decision.play_seconds)
            return decision
        target = now + timedelta(seconds=MAX_IDLE_S)
        if decision.wake_at is not None:
            target = min(target, decision.wake_at)
        if limit is not None:
            target = min(target, limit)
        self.clock.wait(max(0.01, (target - now).total_seconds()), self._wake)
        return decision

    def play_until(self, until: datetime) -> None:
        while not self._stop.is_set() and self.clock.now() < until:
            self.play_step(limit=until)

    def _air(self, entry: Entry, seconds: float) -> None:
        with self._lock:
            self._interrupted_by = None
            self._remote_cut = None
            self._interrupt.clear()
            if self._stop.is_set():  # stop() raced with the decision: do not go on air
                self._interrupt.set()
            self._current = entry
        self._check_interrupt()  # an emergency may have arrived while we were deciding
        started = self.clock.now()
        log.info("phát '%s' (%s)", entry.item.title, entry.item.kind)
        self._airing = self.asrun.started(self._row(entry, "started", started, None, ""))
        on_air = threading.Event()
        marks = threading.Thread(target=self._mark_progress, args=(self._airing, on_air), daemon=True)
        marks.start()
        try:
            outcome, problem = self._render(entry, seconds)
        finally:
            on_air.set()
            with self._lock:
                self._current = None
        ended = self.clock.now()
        if outcome is None:
            cause = "stream" if entry.item.kind == "relay" else "bad_file"
            self._record(entry, "failed", started, ended, problem, cause)
        elif outcome.completed and not problem:
            self._record(entry, "played", started, ended, "")
        elif self._stop.is_set():
            self._record(entry, "cut", started, ended, "ngừng phát do tắt chương trình", "stop")
        elif self._remote_cut is not None:
            detail, final = self._remote_cut
            self._record(entry, "cut", started, ended, detail, "stop")
            if final:
                with self._lock:
                    self._done.add(entry.key)
        elif self._interrupted_by is not None:
            self._record(
                entry, "cut", started, ended, f"ngắt để phát tin khẩn cấp: {self._interrupted_by.item.title}",
                "emergency",
            )  # fmt: skip
        elif entry.item.kind == "relay":
            self._record(
                entry, "cut", started, ended, f"luồng tiếp sóng bị ngắt: {problem or outcome.error}", "stream"
            )
            attempts = self._relay_attempts[entry.key] = self._relay_attempts.get(entry.key, 0) + 1
            if attempts >= RELAY_ATTEMPTS:  # give up on this window rather than flap all hour
                with self._lock:
                    self._done.add(entry.key)
        else:
            self._record(entry, "failed", started, ended, f"lỗi thiết bị phát: {outcome.error}", "device")

    def _mark_progress(self, airing: str, done: threading.Event) -> None:
        while not done.wait(self.config.progress_s):
            try:
                self.asrun.progress(airing, self.clock.now())
            except OSError:  # a full disk must not stop playout; the end is then less precise
                log.exception("không ghi được dấu tiến trình phát")

    def _render(self, entry: Entry, seconds: float) -> tuple[PlayOutcome | None, str]:
        """Hand the entry's audio to the player. (None, why) when the source could not be opened."""
        if entry.item.kind == "relay":
            with self._lock:
                base = self._manifests[entry.day].url if entry.day in self._manifests else self.client.server
            url = entry.item.stream_url or urljoin(base, entry.item.url)
            stream = RelayStream(url, seconds, connect_timeout_s=self.config.relay_connect_timeout_s)
            try:
                stream.open()
            except RelayError as exc:
                log.error("%s", exc)
                return None, str(exc)
            try:
                outcome = self._safe_play(stream, stream.sample_rate)
            finally:
                stream.close()
            short = outcome.completed and outcome.frames < (seconds - 1.0) * stream.sample_rate
            problem = stream.broken or outcome.error or ("luồng kết thúc sớm" if short else "")
            return outcome, problem
        assert entry.item.sha256 is not None
        try:
            chunks, rate = stream_file(self.cache.media_path(entry.item.sha256))
        except Exception as exc:  # miniaudio raises DecodeError, or the file vanished
            log.error("không đọc được tệp của '%s': %s", entry.item.title, exc)
            return None, f"không đọc được tệp âm thanh: {exc}"
        outcome = self._safe_play(chunks, rate)
        return outcome, outcome.error if not outcome.completed and not self._interrupt.is_set() else ""

    def _safe_play(self, chunks: Any, rate: int) -> PlayOutcome:
        try:
            return self.player.play(scaled(chunks, self._volume), rate, self._interrupt)
        except Exception as exc:  # a broken sound device must not stop the station's agent
            log.exception("lỗi thiết bị phát")
            return PlayOutcome(False, 0, str(exc) or type(exc).__name__)

    def _row(
        self, entry: Entry, status: str, started: datetime | None, ended: datetime | None, detail: str,
        cause: str = "",
    ) -> dict[str, Any]:  # fmt: skip
        it = entry.item
        return {
            "key": entry.key,
            "station": self.config.station,
            "date": entry.day.isoformat(),
            "version": entry.version,
            "kind": it.kind,
            "title": it.title,
            "sha256": it.sha256,
            "bulletin_id": it.bulletin_id,
            "planned_start": _iso(entry.planned_start),
            "planned_end": _iso(entry.planned_end),
            "actual_start": _iso(started),
            "actual_end": _iso(ended),
            "status": status,
            "detail": detail,
            "cause": cause,
            "language": it.language,
        }

    def _record(
        self, entry: Entry, status: str, started: datetime | None, ended: datetime | None, detail: str,
        cause: str = "",
    ) -> None:  # fmt: skip
        it = entry.item
        row = self._row(entry, status, started, ended, detail, cause)
        if started is not None and self._airing is not None:
            row["airing"] = self._airing  # closes the "started" mark written when it went on air
            self._airing = None
        self.asrun.append(row)
        if status in FINAL_STATUSES:
            with self._lock:
                self._done.add(entry.key)
        log.info("as-run %s: '%s' %s", status, it.title, detail)

    # --- threads -----------------------------------------------------------------------
    def _poll_loop(self) -> None:
        last_prune: datetime | None = None
        while not self._stop.is_set():
            try:
                self.poll_manifests()
                self.upload_asrun()
                now = self.clock.now()
                if self._last_heartbeat is None or (now - self._last_heartbeat).total_seconds() >= (
                    self.config.heartbeat_s
                ):
                    self.send_heartbeat()
                if last_prune is None or now - last_prune >= timedelta(hours=1):
                    self.prune()
                    last_prune = now
            except Exception:  # keep polling whatever happens; playout goes on from the cache
                log.exception("lỗi khi đồng bộ")
            self._poll_now.wait(self.config.poll_s)  # or sooner: an event said there is news
            self._poll_now.clear()

    def _events_loop(self) -> None:
        """Hold the event stream open; each ``ready`` (a (re)connect) or ``emergency`` wakes the poll."""
        failures = 0
        while not self._stop.is_set():
            opened = time.monotonic()
            try:
                for event, _data in self.client.events():
                    if event in ("ready", "emergency"):
                        failures = 0
                        if event == "emergency":
                            log.warning("máy chủ báo tin khẩn cấp: hỏi lịch phát ngay")
                        self._poll_now.set()
                    if self._stop.is_set():
                        return
                if time.monotonic() - opened > MIN_STREAM_S:
                    continue  # the server ended the stream as it does every few minutes: reopen now
                failures += 1  # ended at once: do not spin
            except (requests.RequestException, EventsUnavailable, AuthRejected) as exc:
                failures += 1
                log.info("kênh sự kiện ngắt (%s); vẫn hỏi định kỳ, nối lại sau", exc)
            except Exception:
                failures += 1
                log.exception("lỗi kênh sự kiện")
            delay = retry_delay(failures, 1.0, self.config.events_retry_max_s)
            self._stop.wait(delay * random.uniform(0.5, 1.0))  # jitter: agents do not reconnect in step

    def next_download_wait(self) -> float:
        """Seconds the download loop may sleep: until the next poll, or the next checksum retry."""
        wait = self.config.poll_s
        if self._retry_at:
            due = min(self._retry_at.values())
            wait = min(wait, max(0.05, (due - self.clock.now()).total_seconds()))
        return wait

    def _download_loop(self) -> None:
        while not self._stop.is_set():
            self._downloads_wanted.clear()
            try:
                self.download_missing()
            except Exception:
                log.exception("lỗi khi tải tệp")
            self._downloads_wanted.wait(self.next_download_wait())

    def run(self) -> None:
        """Sync and air until ``stop()`` (Ctrl+C in the CLI)."""
        threads = [
            threading.Thread(target=self._poll_loop, name="loa-agent-poll", daemon=True),
            threading.Thread(target=self._download_loop, name="loa-agent-download", daemon=True),
        ]
        if self.config.events and self.config.layout == "api":
            # not joined: it may sit in a read for up to EVENTS_READ_TIMEOUT_S; a daemon thread
            threading.Thread(target=self._events_loop, name="loa-agent-events", daemon=True).start()
        for t in threads:
            t.start()
        try:
            while not self._stop.is_set():
                try:
                    self.play_step()
                except Exception:  # e.g. the disk is full: say so, and keep the station on air
                    log.exception("lỗi khi phát")
                    self._stop.wait(1.0)
        finally:
            self.stop()
            for t in threads:
                t.join(timeout=5.0)
            self._upload_on_shutdown()

    def _upload_on_shutdown(self) -> None:
        """Send what is pending (the row of the item just cut, one that ended seconds ago) before
        exiting, within ``shutdown_upload_s``; what does not make it goes on the next start."""
        budget = self.config.shutdown_upload_s
        if budget <= 0 or not self.asrun.pending():
            return
        self.client.timeout = min(self.client.timeout, budget)
        try:
            report = self.upload_asrun(deadline=time.monotonic() + budget)
        except Exception:  # exiting anyway: the rows stay in the local log
            log.exception("không gửi được nhật ký phát khi tắt")
            return
        log.info("đã gửi %d dòng nhật ký phát trước khi tắt", report.uploaded)

    def stop(self) -> None:
        self._stop.set()
        self._poll_now.set()
        self._interrupt.set()
        self._wake.set()
        self._downloads_wanted.set()
