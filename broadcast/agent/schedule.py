"""What to air now: a pure function of the manifests, the clock and what is already done.

Rules (the operator-visible policy of the agent):

* Items air whole, from their beginning: a bulletin joined mid-sentence is useless to listeners. An item
  whose planned start has passed still airs if it can finish by the end of its session plus
  ``max_late_s`` (default 5 min); otherwise it is logged "skipped". The same rule decides the fate of an
  item cut by an emergency: it is replayed from the beginning if it still fits, else skipped.
* A relay is a live window: joined late it airs for what is left of its window, never beyond.
* An emergency item airs as soon as it is due (up to ``emergency_early_s`` before its start, since the
  server stamps it "now" and clocks drift) and interrupts anything that is not itself an emergency. It
  stays due for ``emergency_window_s`` after its start.
* An item whose media is not in the cache yet waits for it while it still fits; then it is skipped.

Item identity across manifest versions is the key (day, kind, media, planned start): a new version that
inserts an emergency keeps already-aired items at their start, so they are not aired twice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from broadcast.agent.manifest import Item, Manifest

#: Items without a "session" field belong to the same session when the gap between them is at most this.
SESSION_GAP = timedelta(seconds=120)
#: A relay with less than this left of its window is not worth connecting to.
MIN_RELAY_S = 1.0

SKIP_LATE = "quá giờ phát"
SKIP_NO_MEDIA = "chưa tải được tệp"
SKIP_RELAY_OVER = "hết giờ tiếp sóng"
SKIP_EMERGENCY_LATE = "quá hạn phát tin khẩn cấp"
#: The as-run ``cause`` of each skip (broadcast/asrun.py CAUSES).
SKIP_CAUSES = {
    SKIP_LATE: "session_end",
    SKIP_NO_MEDIA: "no_media",
    SKIP_RELAY_OVER: "session_end",
    SKIP_EMERGENCY_LATE: "late",
}


@dataclass(frozen=True)
class Rules:
    max_late_s: float = 300.0
    emergency_early_s: float = 60.0
    emergency_window_s: float = 3600.0


@dataclass(frozen=True)
class Entry:
    """One item of one manifest, with what the scheduler needs to know about its place in the day."""

    key: str
    day: date
    version: int
    item: Item
    planned_start: datetime
    planned_end: datetime
    session_end: datetime

    @property
    def media_key(self) -> str | None:
        return self.item.sha256


@dataclass(frozen=True)
class Decision:
    #: Entries that can no longer air, with the reason to log.
    skips: tuple[tuple[Entry, str], ...] = ()
    #: What to air now, if anything, and for how long at most.
    play: Entry | None = None
    play_seconds: float = 0.0
    #: When to look again if nothing airs now (None: nothing left to wait for).
    wake_at: datetime | None = None


def entry_key(day: date, item: Item) -> str:
    media = item.sha256 or item.stream_url or item.url
    return f"{day.isoformat()}|{item.kind}|{media}|{item.start.astimezone(UTC).isoformat()}"


def build_entries(manifests: Iterable[Manifest]) -> list[Entry]:
    """Flatten manifests into entries sorted by planned start, each knowing when its session ends."""
    entries: list[Entry] = []
    for manifest in manifests:
        items = sorted(manifest.items, key=lambda it: it.start)
        group_of: list[tuple[str, object]] = []
        anon: tuple[str, object] | None = None
        anon_end: datetime | None = None
        for index, it in enumerate(items):
            end = it.start + timedelta(seconds=it.duration_s)
            if it.is_emergency:
                group: tuple[str, object] = ("emergency", index)
            elif it.session:
                group = ("session", it.session)
            else:
                if anon is None or anon_end is None or it.start - anon_end > SESSION_GAP:
                    anon, anon_end = ("anon", index), end
                anon_end = max(anon_end, end)
                group = anon
            group_of.append(group)
        group_end: dict[tuple[str, object], datetime] = {}
        for it, group in zip(items, group_of, strict=True):
            end = it.start + timedelta(seconds=it.duration_s)
            group_end[group] = max(group_end.get(group, end), end)
        for it, group in zip(items, group_of, strict=True):
            entries.append(
                Entry(
                    key=entry_key(manifest.day, it),
                    day=manifest.day,
                    version=manifest.version,
                    item=it,
                    planned_start=it.start,
                    planned_end=it.start + timedelta(seconds=it.duration_s),
                    session_end=group_end[group],
                )
            )
    entries.sort(key=lambda e: (e.planned_start, e.key))
    return entries


def _ready(entry: Entry, available: Collection[str]) -> bool:
    return entry.item.kind == "relay" or entry.media_key in available


def _emergency_due(entry: Entry, now: datetime, rules: Rules) -> bool:
    return (
        entry.planned_start - timedelta(seconds=rules.emergency_early_s)
        <= now
        <= entry.planned_start + timedelta(seconds=rules.emergency_window_s)
    )


def next_actions(
    entries: Iterable[Entry],
    now: datetime,
    done: Collection[str],
    available: Collection[str],
    rules: Rules = Rules(),
) -> Decision:
    """Decide what to air at ``now``. ``done``: keys already aired/skipped/failed; ``available``: cached sha256s."""
    pending = [e for e in entries if e.key not in done]
    skips: list[tuple[Entry, str]] = []
    wake: list[datetime] = []

    for e in (e for e in pending if e.item.is_emergency):
        if now > e.planned_start + timedelta(seconds=rules.emergency_window_s):
            skips.append((e, SKIP_EMERGENCY_LATE))
        elif not _emergency_due(e, now, rules):
            wake.append(e.planned_start - timedelta(seconds=rules.emergency_early_s))
        elif _ready(e, available):
            return Decision(tuple(skips), e, _play_seconds(e, now))
        else:
            wake.append(e.planned_start + timedelta(seconds=rules.emergency_window_s))

    for e in (e for e in pending if not e.item.is_emergency):
        if e.planned_start > now:
            wake.append(e.planned_start)
            break
        if e.item.kind == "relay":
            remaining = (e.planned_end - now).total_seconds()
            if remaining < MIN_RELAY_S:
                skips.append((e, SKIP_RELAY_OVER))
                continue
            return Decision(tuple(skips), e, remaining)
        deadline = max(e.planned_end, e.session_end) + timedelta(seconds=rules.max_late_s)
        latest_start = deadline - timedelta(seconds=e.item.duration_s)
        if now > latest_start:
            skips.append((e, SKIP_LATE if _ready(e, available) else SKIP_NO_MEDIA))
        elif _ready(e, available):
            return Decision(tuple(skips), e, e.item.duration_s)
        else:
            wake.append(latest_start)
    return Decision(tuple(skips), None, 0.0, min(wake) if wake else None)


def _play_seconds(entry: Entry, now: datetime) -> float:
    if entry.item.kind == "relay":
        return max(MIN_RELAY_S, (entry.planned_end - max(now, entry.planned_start)).total_seconds())
    return entry.item.duration_s


def interrupting_emergency(
    current: Entry | None,
    entries: Iterable[Entry],
    now: datetime,
    done: Collection[str],
    available: Collection[str],
    rules: Rules = Rules(),
) -> Entry | None:
    """The emergency that must cut ``current`` right now, if any (emergencies never cut each other)."""
    if current is None or current.item.is_emergency:
        return None
    for e in entries:
        if (
            e.item.is_emergency
            and e.key not in done
            and e.key != current.key
            and _emergency_due(e, now, rules)
            and _ready(e, available)
        ):
            return e
    return None
