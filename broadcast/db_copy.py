"""``loa db copy``: move a district's or commune's database (SQLite) into a province's (PostgreSQL).

Table by table, parents first, in batches ordered by primary key. Each batch is inserted in the same
target transaction as the bookkeeping row that records how far the copy got (``db_copy_progress``, a
table of this tool's own in the target), so a copy killed at any moment resumes after its last
committed batch, and a finished copy run again only verifies. The copy is checked at the end: for
every table, the source's rows (mapped as copied) and the target's rows with those keys must agree
in number and in a SHA-256 over their values.

A target that already holds rows is refused unless ``merge``: then every integer id of the source is
shifted past the target's largest id of its table, and every foreign key by its table's shift, so the
rows of two sources never collide. Content-addressed media rows (same SHA-256, same file) already in
the target are kept, not copied twice. Names that must be unique (station codes, group names, user
names) are compared first, and a clash refuses the whole merge before anything is written. An
administrative unit is the exception (``SHARED``): a unit whose code both databases have (the
province, the root unit every upgraded folder gets) is the same unit, kept once, and the source's
rows that point to it point to the target's.
Scheduler claims (locks of a running daemon) are not copied: they mean nothing in another database.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
    insert,
    make_url,
    select,
    text,
    tuple_,
)
from sqlalchemy.engine import Connection

from broadcast import db
from broadcast.errors import BroadcastError
from broadcast.models import Base

log = logging.getLogger(__name__)

#: Locks of a running scheduler: meaningless in another database.
SKIPPED_TABLES = frozenset({"scheduler_claims"})

_progress_meta = MetaData()
PROGRESS = Table(
    "db_copy_progress",
    _progress_meta,
    Column("source", String(64), primary_key=True),
    Column("table_name", String(64), primary_key=True),
    Column("id_offset", BigInteger, nullable=False, default=0),
    Column("last_key", String(1000), nullable=True),
    Column("rows", BigInteger, nullable=False, default=0),
    Column("done", Boolean, nullable=False, default=False),
)

Progress = Callable[[str, int, int], None]


@dataclass
class TableReport:
    table: str
    rows: int
    checksum: str
    ok: bool


@dataclass
class CopyReport:
    copied: int = 0
    resumed: bool = False
    already_done: bool = False
    tables: list[TableReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)


def tables() -> list[Table]:
    """The tables copied, parents before children."""
    return [t for t in Base.metadata.sorted_tables if t.name not in SKIPPED_TABLES]


def source_id(url: str) -> str:
    """A stable name for a source in the target's bookkeeping (the URL without its password)."""
    shown = make_url(url).render_as_string(hide_password=True)
    return hashlib.sha256(shown.encode()).hexdigest()[:64]


def _int_pk(table: Table) -> Column[Any] | None:
    """The table's own integer id (shifted on merge), or None for natural or composite keys."""
    pk = list(table.primary_key.columns)
    if len(pk) == 1 and isinstance(pk[0].type, Integer) and not pk[0].foreign_keys:
        return pk[0]
    return None


#: Tables whose rows are matched by a natural key on merge instead of copied: table → key column.
SHARED = {"units": "code"}
#: table → source id → target id, for the rows of SHARED tables the target already has.
Shared = dict[str, dict[int, int]]


def _shared(src: Connection, dst: Connection) -> Shared:
    """The rows of SHARED tables present in both databases (by natural key), source id → target id.
    Recomputed on every run (a resumed copy too): rows copied earlier map to their shifted ids."""
    out: Shared = {}
    for table in tables():
        col = SHARED.get(table.name)
        pk = _int_pk(table)
        if col is None or pk is None:
            continue
        ids = {r[0]: r[1] for r in src.execute(select(table.c[col], pk))}
        hits: list[Any] = list(dst.execute(select(table.c[col], pk).where(table.c[col].in_(list(ids))))) if ids else []
        out[table.name] = {ids[k]: v for k, v in hits}
    return out


def _has_rows(conn: Connection) -> bool:
    return any(conn.execute(select(t.c[0]).limit(1)).first() for t in tables())


def _unique_columns(table: Table) -> list[Column[Any]]:
    cols = [c for c in table.columns if c.unique and not c.primary_key and not c.foreign_keys]
    cols += [
        next(iter(con.columns))
        for con in table.constraints
        if isinstance(con, UniqueConstraint) and len(con.columns) == 1
    ]
    return cols


def _clashes(src: Connection, dst: Connection) -> list[str]:
    """Unique names present in both databases: a merge would have to drop or rename them."""
    found = []
    for table in tables():
        for col in _unique_columns(table):
            if SHARED.get(table.name) == col.name:
                continue  # the same unit in both: kept once (SHARED)
            values = [r[0] for r in src.execute(select(col))]
            both: list[Any] = []
            for i in range(0, len(values), 500):
                both += [r[0] for r in dst.execute(select(col).where(col.in_(values[i : i + 500])))]
            if both:
                found.append(f"{table.name}.{col.name}: {', '.join(map(str, sorted(both)[:10]))}")
    return found


def _start(src: Connection, dst: Connection, sid: str, merge: bool) -> dict[str, int]:
    """Record the offsets of a new copy (0 unless merging) and return them."""
    if _has_rows(dst) and not merge:
        raise BroadcastError(
            "Cơ sở dữ liệu đích đã có dữ liệu; dùng --merge để gộp (mã số được dời để không trùng)."
        )
    if merge:
        clashes = _clashes(src, dst)
        if clashes:
            raise BroadcastError("Không gộp được, các tên sau đã có ở đích: %(clashes)s", clashes="; ".join(clashes))
    offsets = {}
    for table in tables():
        pk = _int_pk(table)
        offsets[table.name] = int(dst.scalar(select(func.coalesce(func.max(pk), 0))) or 0) if merge and pk is not None else 0
        dst.execute(insert(PROGRESS).values(source=sid, table_name=table.name, id_offset=offsets[table.name],
                                            last_key=None, rows=0, done=False))  # fmt: skip
    return offsets


def _references(col: Column[Any]) -> list[Column[Any]]:
    """The columns ``col`` refers to: its foreign keys, and a reference kept without one
    (``info["references"] = "table.column"``, e.g. playlist_items.bulletin_id)."""
    refs = [fk.column for fk in col.foreign_keys]
    named = col.info.get("references")
    if named:
        table_name, column_name = named.split(".")
        refs.append(col.table.metadata.tables[table_name].c[column_name])
    return refs


def _shifted(table: Table, row: dict[str, Any], offsets: dict[str, int], shared: Shared | None = None) -> dict[str, Any]:
    """A source row as it is stored in the target: own id and foreign keys moved by their offsets,
    or to the target's row for a shared one (SHARED)."""
    out = dict(row)
    shared = shared or {}
    pk = _int_pk(table)
    if pk is not None and out[pk.name] is not None:
        mine = shared.get(table.name, {})
        out[pk.name] = mine.get(out[pk.name], out[pk.name] + offsets[table.name])
    for col in table.columns:
        for ref in _references(col):
            value = out.get(col.name)
            if value is not None and _int_pk(ref.table) is ref:
                theirs = shared.get(ref.table.name, {})
                out[col.name] = theirs[value] if value in theirs else value + offsets.get(ref.table.name, 0)
    return out


def _batches(conn: Connection, table: Table, after: list[Any] | None, size: int) -> Iterator[list[dict[str, Any]]]:
    pk = list(table.primary_key.columns)
    key = tuple_(*pk) if len(pk) > 1 else pk[0]
    while True:
        q = select(table).order_by(*pk).limit(size)
        if after is not None:
            q = q.where(key > (tuple_(*after) if len(pk) > 1 else after[0]))
        rows = [dict(r._mapping) for r in conn.execute(q)]
        if not rows:
            return
        yield rows
        after = [rows[-1][c.name] for c in pk]


def _key_json(table: Table, row: dict[str, Any]) -> str:
    return json.dumps([row[c.name] for c in table.primary_key.columns], default=str)


def _copy_table(src: Engine, dst: Engine, table: Table, sid: str, offsets: dict[str, int], batch: int,
                progress: Progress, shared: Shared | None = None) -> int:  # fmt: skip
    """Copy the rows of one table not yet copied; each batch commits with its bookkeeping."""
    with dst.connect() as conn:
        state = conn.execute(select(PROGRESS).where(PROGRESS.c.source == sid, PROGRESS.c.table_name == table.name)).one()
    if state.done:
        return 0
    with src.connect() as s:
        total = int(s.scalar(select(func.count()).select_from(table)) or 0)
        after = json.loads(state.last_key) if state.last_key else None
        done, copied = int(state.rows), 0
        natural = _int_pk(table) is None and not any(c.foreign_keys for c in table.primary_key.columns)
        kept = set((shared or {}).get(table.name, {}))
        for rows in _batches(s, table, after, batch):
            shifted = [_shifted(table, r, offsets, shared) for r in rows if not kept or r[_pk_name(table)] not in kept]
            with dst.begin() as d:
                if natural:  # content-addressed (media files): keep a row the target already has
                    pk = next(iter(table.primary_key.columns))
                    have = set(d.scalars(select(pk).where(pk.in_([r[pk.name] for r in shifted]))))
                    shifted = [r for r in shifted if r[pk.name] not in have]
                if shifted:
                    d.execute(insert(table), shifted)
                done += len(rows)
                copied += len(shifted)
                d.execute(PROGRESS.update().where(PROGRESS.c.source == sid, PROGRESS.c.table_name == table.name)
                          .values(last_key=_key_json(table, rows[-1]), rows=done))  # fmt: skip
            progress(table.name, done, total)
    with dst.begin() as d:
        d.execute(PROGRESS.update().where(PROGRESS.c.source == sid, PROGRESS.c.table_name == table.name)
                  .values(done=True))  # fmt: skip
    progress(table.name, done, total)
    return copied


def _canonical(table: Table, row: Any) -> bytes:
    values = [row[c.name] for c in table.columns]
    return json.dumps(values, default=str, sort_keys=True, ensure_ascii=False).encode()


def _pk_name(table: Table) -> str:
    return next(iter(table.primary_key.columns)).name


def verify_table(src: Engine, dst: Engine, table: Table, offsets: dict[str, int], batch: int,
                 shared: Shared | None = None) -> TableReport:
    """Compare the source's rows (shifted as copied) with the target's rows of the same keys."""
    pk = list(table.primary_key.columns)
    key = tuple_(*pk) if len(pk) > 1 else pk[0]
    src_hash, dst_hash, n_src, n_dst = hashlib.sha256(), hashlib.sha256(), 0, 0
    with src.connect() as s, dst.connect() as d:
        for rows in _batches(s, table, None, batch):
            shifted = [_shifted(table, r, offsets, shared) for r in rows]
            keys = [tuple(r[c.name] for c in pk) if len(pk) > 1 else r[pk[0].name] for r in shifted]
            found: dict[Any, Any] = {}
            for hit in d.execute(select(table).where(key.in_(keys))):
                m = hit._mapping
                found[tuple(m[c.name] for c in pk) if len(pk) > 1 else m[pk[0].name]] = m
            n_src += len(shifted)
            n_dst += len(found)
            natural = _int_pk(table) is None and not any(c.foreign_keys for c in pk)
            kept = set((shared or {}).get(table.name, {}).values())  # shared units: the target's own rows
            for k, r in zip(keys, shifted, strict=True):
                src_hash.update(_canonical(table, r))
                # A media row the target had before the merge counts as the same file (same SHA-256).
                if k not in found:
                    dst_hash.update(b"missing")
                else:
                    dst_hash.update(_canonical(table, r if natural or k in kept else found[k]))
    digest = src_hash.hexdigest()
    return TableReport(table.name, n_src, digest, n_src == n_dst and digest == dst_hash.hexdigest())


def _fix_sequences(dst: Engine) -> None:
    """PostgreSQL's id sequences continue after the largest id copied (SQLite needs nothing)."""
    if dst.dialect.name != "postgresql":
        return
    with dst.begin() as d:
        for table in tables():
            pk = _int_pk(table)
            if pk is not None:
                d.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk.name}'), "
                    f"coalesce((SELECT max({pk.name}) FROM {table.name}), 0) + 1, false)"
                ))  # fmt: skip


def _check_source(src: Engine) -> None:
    have, head = db.current_revision(src), db.head_revision()
    if have != head:
        raise BroadcastError(
            "Cơ sở dữ liệu nguồn ở phiên bản %(have)s, không phải %(head)s: chạy `loa db upgrade` với nó trước.",
            have=have or "trống", head=head,
        )


def copy_database(source_url: str, target_url: str, *, merge: bool = False, batch: int = 1000,
                  progress: Progress = lambda table, done, total: None) -> CopyReport:  # fmt: skip
    """Copy every table from ``source_url`` into ``target_url`` (migrated to head first), resumably."""
    if make_url(source_url) == make_url(target_url):
        raise BroadcastError("Nguồn và đích là cùng một cơ sở dữ liệu.")
    src = db.make_engine(source_url)
    dst = db.init_db(target_url)
    try:
        _check_source(src)
        _progress_meta.create_all(dst)
        sid = source_id(source_url)
        report = CopyReport()
        with dst.begin() as d, src.connect() as s:
            known = {r.table_name: int(r.id_offset) for r in d.execute(select(PROGRESS).where(PROGRESS.c.source == sid))}
            states = list(d.execute(select(PROGRESS.c.done).where(PROGRESS.c.source == sid)))
            report.resumed = bool(known)
            report.already_done = bool(states) and all(r.done for r in states)
            offsets = known or _start(s, d, sid, merge)
            shared = _shared(s, d) if any(offsets.values()) else {}
        for table in tables():
            report.copied += _copy_table(src, dst, table, sid, offsets, batch, progress, shared)
        _fix_sequences(dst)
        report.tables = [verify_table(src, dst, t, offsets, batch, shared) for t in tables()]
        return report
    finally:
        src.dispose()
        dst.dispose()


def summary_lines(report: CopyReport) -> Sequence[str]:
    """What the CLI prints: one line per table, then the verdict."""
    lines = [f"  {t.table}: {t.rows} dòng, sha256 {t.checksum[:16]}… {'khớp' if t.ok else 'KHÔNG KHỚP'}"
             for t in report.tables]  # fmt: skip
    lines.append(f"Đã chép {report.copied} dòng" + (" (tiếp tục lần chép trước)" if report.resumed else "") + ".")
    return lines
