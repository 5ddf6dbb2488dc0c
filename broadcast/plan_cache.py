"""Planning once for stations that plan alike: a night's generation of a whole province.

The stations of a commune's clusters usually have the same sessions, the same bulletins and the
same relays: their planned days are the same, item for item (the planner reads a station's
timezone and languages, never its id or code). So a day's stations are keyed by everything the
planner reads of them, planned once per key, and what follows from the plan is built once per key
too: the manifest's item and unplaced dicts, their JSON (for the ETag, the file and the database
column), the M3U8 and XSPF track sections and the PlaylistItem rows. Only what names the station
(its code, version, playlist id) is per station.

A station whose day is being replanned with a published version (its past is kept) is planned on
its own: its plan depends on what it aired.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from broadcast.manifest import Unplaced
from broadcast.planner import JingleInput, PlanResult
from broadcast.playlist_files import encode_canonical, m3u8_tracks, manifest_item, xspf_tracks
from broadcast.playlist_loading import DayData, PlanStation
from broadcast.playlist_store import StoredItems

#: Plans a station: (station, its jingle, its published manifest of today or None, the operator's
#: order of the day's bulletins or None) → (plan, whether it has an emergency block to come).
PlanFn = Callable[
    [PlanStation, JingleInput | None, dict[str, Any] | None, Sequence[int] | None], tuple[PlanResult, bool]
]


class SharedPlan:
    """A planned day and what it becomes, for every station that plans it (built lazily: a
    SQLite database needs no COPY text, an unchanged version no files)."""

    def __init__(self, plan: PlanResult, emergency: bool) -> None:
        self.plan = plan
        self.emergency = emergency
        self.items = [manifest_item(it).to_json() for it in plan.items]
        self.unplaced = [
            Unplaced(u.title, u.reason, u.bulletin_id, u.relay_id, u.missing).to_json() for u in plan.unplaced
        ]
        self.rows = StoredItems(plan.items)
        self._canonical: dict[str, bytes] | None = None
        self._stored: dict[str, str] | None = None
        self._tracks: tuple[str, str] | None = None

    def canonical_parts(self) -> dict[str, bytes]:
        """The items and unplaced as ``canonical_json`` encodes them."""
        if self._canonical is None:
            self._canonical = {"items": encode_canonical(self.items), "unplaced": encode_canonical(self.unplaced)}
        return self._canonical

    def stored_parts(self) -> dict[str, str]:
        """The items and unplaced as the database's JSON column encodes them (``stored_json``)."""
        if self._stored is None:
            self._stored = {"items": json.dumps(self.items), "unplaced": json.dumps(self.unplaced)}
        return self._stored

    def tracks(self) -> tuple[str, str]:
        """The M3U8 and XSPF track sections (``write_playlist_files``)."""
        if self._tracks is None:
            body = {"items": self.items, "unplaced": self.unplaced}
            self._tracks = (m3u8_tracks(body), xspf_tracks(body))
        return self._tracks


def plan_key(
    st: PlanStation, data: DayData, jingle: JingleInput | None, order: Sequence[int] | None
) -> Hashable:
    """Everything the planner reads of a station on a day, but its id and code (what every
    station of the day shares, ``data.shared`` and ``data.relays_all``, is left out). Sessions in
    the planner's order (start, then id), without their ids: those only break ties."""
    sessions = sorted(data.sessions.get(st.id, ()), key=lambda s: (s.start, s.id))
    return (
        st.timezone,
        data.languages.get(st.id, ()),
        tuple((s.start, s.max_minutes, s.weekdays, s.on_date) for s in sessions),
        tuple(data.extra.get(st.id, ())),
        tuple(data.overrides.get(st.id, ())),  # the pins among them add data.pinned bulletins
        tuple(data.relays_own.get(st.id, ())),
        jingle,
        tuple(order) if order is not None else None,
    )


class PlanCache:
    """One day's plans by ``plan_key``; ``plan`` plans what it has not seen yet."""

    def __init__(self, data: DayData, plan: PlanFn) -> None:
        self.data = data
        self._plan = plan
        self._plans: dict[Hashable, SharedPlan] = {}
        self.planned = 0  # how many times the planner ran (the rest were shared)

    def get(
        self,
        st: PlanStation,
        jingle: JingleInput | None,
        previous: dict[str, Any] | None,
        order: Sequence[int] | None,
    ) -> SharedPlan:
        """The station's shared plan (a station with a published past of today gets its own)."""
        key = plan_key(st, self.data, jingle, order) if previous is None else None
        shared = self._plans.get(key) if key is not None else None
        if shared is None:
            self.planned += 1
            shared = SharedPlan(*self._plan(st, jingle, previous, order))
            if key is not None:
                self._plans[key] = shared
        return shared
