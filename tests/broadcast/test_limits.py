"""Column limits, 64-bit integers and time zones behave the same on SQLite and PostgreSQL: a value
that does not fit is refused before the database sees it, and datetimes come back identical."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import BigInteger, Engine, SmallInteger, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from broadcast import stations as st
from broadcast.errors import BroadcastError
from broadcast.models import AsRun, AsRunStatus, BroadcastSession, MediaFile, Station
from tests.broadcast.conftest import count_rows


class _Base(DeclarativeBase):
    pass


class _Wide(_Base):
    """A table of the test's own, for the integer sizes Loa's models do not use yet."""

    __tablename__ = "limits_wide"
    id: Mapped[int] = mapped_column(primary_key=True)
    big: Mapped[int] = mapped_column(BigInteger, default=0)
    small: Mapped[int] = mapped_column(SmallInteger, default=0)
    label: Mapped[str] = mapped_column(String(3), default="")


def test_a_string_too_long_is_refused_before_the_database(session: Session) -> None:
    before = count_rows(session)
    session.add(Station(code="x" * 65, name="Xã dài"))
    with pytest.raises(BroadcastError) as err:
        session.flush()
    assert err.value.key.startswith("Giá trị của %(field)s quá dài")
    assert str(err.value) == "Giá trị của stations.code quá dài: 65 ký tự, tối đa 64."
    session.rollback()
    assert count_rows(session) == before


def test_the_longest_string_that_fits_is_stored_whole(session: Session) -> None:
    session.add(Station(code="x" * 64, name="ấ" * 200))  # limits count characters, not bytes
    session.commit()
    assert session.scalar(select(Station.name).where(Station.code == "x" * 64)) == "ấ" * 200


def test_a_change_to_a_stored_row_is_checked_too(session: Session, stations: list[str]) -> None:
    station = st.get_station(session, stations[0])
    station.district = "d" * 201
    with pytest.raises(BroadcastError, match="stations.district"):
        session.flush()


@pytest.mark.parametrize("size", [2**31, -(2**31) - 1, 2**63])
def test_an_integer_too_large_for_32_bits_is_refused(session: Session, size: int) -> None:
    session.add(MediaFile(sha256="ab" * 32, path="ab/x.mp3", size=size))
    with pytest.raises(BroadcastError) as err:
        session.flush()
    assert "media_files.size" in str(err.value) and str(size) in str(err.value)


def test_integer_bounds_that_fit_are_stored(session: Session) -> None:
    session.add(MediaFile(sha256="cd" * 32, path="cd/x.mp3", size=2**31 - 1))
    session.commit()
    assert session.scalar(select(MediaFile.size)) == 2**31 - 1


@pytest.fixture
def wide(engine: Engine) -> sessionmaker[Session]:
    _Base.metadata.create_all(engine)
    return sessionmaker(engine)


def test_64_bit_integers_round_trip_and_65_bits_are_refused(wide: sessionmaker[Session]) -> None:
    with wide() as s:
        s.add_all([_Wide(big=2**63 - 1, small=2**15 - 1), _Wide(big=-(2**63), small=-(2**15))])
        s.commit()
        assert sorted(s.scalars(select(_Wide.big))) == [-(2**63), 2**63 - 1]
        s.add(_Wide(big=2**63))
        with pytest.raises(BroadcastError, match="limits_wide.big"):
            s.flush()
        s.rollback()
        s.add(_Wide(small=2**15))
        with pytest.raises(BroadcastError, match="limits_wide.small"):
            s.flush()
        s.rollback()
        s.add(_Wide(label="bốn"))  # 3 characters: fits
        s.commit()
        s.add(_Wide(label="năm5"))
        with pytest.raises(BroadcastError, match="limits_wide.label"):
            s.flush()


def test_datetimes_round_trip_identically(session: Session, stations: list[str]) -> None:
    """An aware time in any zone comes back as the same instant, in UTC, to the microsecond."""
    station = st.get_station(session, stations[0])
    hanoi = timezone(timedelta(hours=7))
    start = datetime(2026, 11, 27, 5, 30, 0, 123456, tzinfo=hanoi)
    end = datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-3, minutes=-30)))
    session.add(AsRun(station_id=station.id, uid="tz-1", status=AsRunStatus.PLAYED, actual_start=start,
                      actual_end=end, playlist_date=date(2026, 11, 27)))
    session.add(BroadcastSession(station_id=station.id, start_time=time(5, 30, 15, 250000), max_minutes=30))
    session.commit()
    session.expire_all()
    row = session.scalars(select(AsRun).where(AsRun.uid == "tz-1")).one()
    assert row.actual_start == start and row.actual_start.tzinfo == UTC
    assert row.actual_start.isoformat() == "2026-11-26T22:30:00.123456+00:00"
    assert row.actual_end == end and row.actual_end.isoformat() == "2027-01-01T03:29:59.999999+00:00"
    assert row.playlist_date == date(2026, 11, 27)
    starts = session.scalars(select(BroadcastSession.start_time).where(BroadcastSession.max_minutes == 30))
    assert time(5, 30, 15, 250000) in list(starts)


def test_a_naive_datetime_is_refused(session: Session, stations: list[str]) -> None:
    station = st.get_station(session, stations[0])
    session.add(AsRun(station_id=station.id, uid="naive", status=AsRunStatus.PLAYED,
                      actual_start=datetime(2026, 11, 27, 5, 30)))
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()
