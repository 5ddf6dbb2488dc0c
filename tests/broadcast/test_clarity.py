"""The clarity check kept with each render, and the approval rule it feeds (broadcast.clarity).

The recognizer here is a stand-in that "hears" a chosen transcript (the real one is slow and is
exercised once, end to end, at the bottom); everything else is real: espeak renders, the WER
scoring, the rows, the audit, the CLI."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterator
from datetime import date
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from broadcast import bulletins as bl
from broadcast import clarity, rendering
from broadcast.errors import BroadcastError
from broadcast.models import AuditLog, Bulletin, BulletinStatus, ClarityCheck
from loa.cli import cli
from loa.config import Settings
from pipeline.clarity import recognizer
from tests.conftest import SPEECH

BODY = "Trạm y tế xã tiêm chủng cho trẻ em."


class Heard:
    """The recognizer stand-in: returns ``text`` for any audio, and counts its calls."""

    def __init__(self) -> None:
        self.text = ""
        self.calls = 0

    def __call__(self, samples: Any) -> str:
        assert isinstance(samples, np.ndarray) and len(samples) > 0  # it was given the decoded MP3
        self.calls += 1
        return self.text


@pytest.fixture
def heard(monkeypatch: pytest.MonkeyPatch) -> Heard:
    h = Heard()
    monkeypatch.setattr(recognizer, "ensure_available", lambda: None)
    monkeypatch.setattr(recognizer, "transcribe", h)
    return h


@pytest.fixture
def no_recognizer(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """viet-asr not installed: its import fails."""
    monkeypatch.setitem(sys.modules, "vietasr", None)
    recognizer._pipeline.cache_clear()
    yield
    monkeypatch.undo()
    recognizer._pipeline.cache_clear()


@pytest.fixture
def cset(settings: Settings) -> Settings:
    return dataclasses.replace(settings, engine_order=("espeak",), clarity_check=True, clarity_threshold=0.7)


def _rendered(session: Session, settings: Settings, *, submit: bool = True, **kw: Any) -> Bulletin:
    args: dict[str, Any] = {"title": "Tiêm chủng", "body": BODY, "valid_from": date(2026, 12, 1),
                            "valid_to": date(2026, 12, 3), "actor": "e", "station_codes": ["hiep-an"],
                            "settings": settings, **kw}
    b = bl.create_bulletin(session, **args)
    if submit:
        bl.submit(session, b, "e")
    rendering.render_bulletin(session, b, settings)
    session.commit()
    return b


def test_a_render_queues_its_check_and_the_job_stores_score_missed_words_and_transcript(
    session: Session, factory: sessionmaker[Session], stations: list[str], cset: Settings, heard: Heard
) -> None:
    b = _rendered(session, cset)
    row = session.get(ClarityCheck, b.media_sha256)
    assert row is not None and row.status == "pending" and row.source_kind == "text"
    heard.text = "trạm y tế xã tiêm cho trẻ em"  # "chủng" missed
    result = clarity.run_check(factory, b.media_sha256 or "", cset)
    assert result is not None and result["status"] == "done"
    session.expire_all()
    row = session.get(ClarityCheck, b.media_sha256)
    assert row is not None and row.status == "done"
    assert row.score == pytest.approx(1 - 1 / 9) and row.missed == ["chủng"]
    assert row.transcript == heard.text and row.recognizer.startswith("viet-asr")
    audit = session.scalar(select(AuditLog).where(AuditLog.action == "clarity.check"))
    assert audit is not None and audit.detail["score"] == pytest.approx(8 / 9)
    # done once: a second run, or the same file rendered again, does not listen again
    assert clarity.run_check(factory, b.media_sha256 or "", cset) is None
    rendering.render_bulletin(session, b, cset)
    session.commit()
    assert clarity.run_pending(factory, cset) == 0 and heard.calls == 1


def test_of_two_processes_asked_to_check_one_file_only_one_listens(
    session: Session, factory: sessionmaker[Session], stations: list[str], cset: Settings, heard: Heard,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two ``loa serve`` processes (here two threads with their own sessions) both see the row
    pending: the claim in the database lets one run the recognizer; the other returns at once."""
    import threading

    b = _rendered(session, cset)
    sha = b.media_sha256 or ""
    other_done = threading.Event()

    def slow(samples: Any) -> str:  # the first listener waits until the other process has tried
        assert other_done.wait(30)
        return heard(samples)

    monkeypatch.setattr(recognizer, "transcribe", slow)
    results: list[Any] = []
    first = threading.Thread(target=lambda: results.append(clarity.run_check(factory, sha, cset)))
    first.start()
    for _ in range(300):  # until the first has claimed the check
        session.expire_all()
        row = session.get(ClarityCheck, sha)
        if row is not None and row.checked_at is not None:
            break
        threading.Event().wait(0.05)
    assert clarity.run_check(factory, sha, cset) is None  # claimed by the other one
    other_done.set()
    first.join(30)
    assert results and results[0] is not None and results[0]["status"] == "done" and heard.calls == 1


def test_a_claim_is_taken_once_given_back_by_check_again_and_taken_over_when_stale(
    session: Session, factory: sessionmaker[Session], stations: list[str], cset: Settings, heard: Heard,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import UTC, datetime

    b = _rendered(session, cset)
    sha = b.media_sha256 or ""
    long_ago = datetime.now(UTC) - clarity.CLAIM_TIMEOUT * 2
    assert clarity.claim(session, sha, now=long_ago) and not clarity.claim(session, sha, now=long_ago)
    assert clarity.claim(session, sha)  # the first claimant died long ago: taken over
    assert not clarity.claim(session, sha)
    clarity.check_again(session, b)  # queued again: anyone may take it
    assert clarity.claim(session, sha)
    session.commit()

    def broken(samples: Any) -> str:
        raise KeyboardInterrupt

    clarity.check_again(session, b)
    session.commit()
    monkeypatch.setattr(recognizer, "transcribe", broken)
    with pytest.raises(KeyboardInterrupt):
        clarity.run_check(factory, sha, cset)
    session.expire_all()
    assert clarity.claim(session, sha)  # a check that broke off is given back at once


def test_without_the_recognizer_the_check_says_so_and_nothing_else_fails(
    session: Session, factory: sessionmaker[Session], stations: list[str], cset: Settings, no_recognizer: None
) -> None:
    b = _rendered(session, cset)
    assert b.render_status == "done"
    result = clarity.run_check(factory, b.media_sha256 or "", cset)
    assert result is not None and result["status"] == "missing"
    assert "không có bộ nhận dạng" in result["error"] and result["score"] is None
    bl.approve(session, b, "r")  # no score: approval needs no confirmation
    session.commit()
    assert b.status == BulletinStatus.APPROVED
    # rendered again once the recognizer may be there: queued again
    rendering.render_bulletin(session, b, cset)
    session.commit()
    assert clarity.pending(session) == [b.media_sha256]


def test_a_recording_records_its_transcript_alone(
    session: Session, factory: sessionmaker[Session], stations: list[str], cset: Settings, heard: Heard
) -> None:
    b = _rendered(session, cset, body="", recording=SPEECH / "vi-speech-01.wav")
    heard.text = "với một người đi làm thuê như anh"
    result = clarity.run_check(factory, b.media_sha256 or "", cset)
    assert result is not None and result["source_kind"] == "audio"
    assert result["transcript"] == heard.text and result["score"] is None and result["missed"] == []


def test_no_check_when_the_setting_is_off(session: Session, stations: list[str], cset: Settings) -> None:
    b = _rendered(session, dataclasses.replace(cset, clarity_check=False))
    assert b.media_sha256 and session.get(ClarityCheck, b.media_sha256) is None


def _low(session: Session, factory: sessionmaker[Session], cset: Settings, heard: Heard, **kw: Any) -> Bulletin:
    b = _rendered(session, cset, **kw)
    heard.text = "trạm"  # one word of nine: 0.11
    clarity.run_check(factory, b.media_sha256 or "", cset)
    session.expire_all()
    return b


def test_below_the_threshold_approval_needs_the_reviewer_to_have_listened(
    session: Session, factory: sessionmaker[Session], stations: list[str], cset: Settings, heard: Heard
) -> None:
    b = _low(session, factory, cset, heard)
    with pytest.raises(BroadcastError) as refused:
        bl.approve(session, b, "r", settings=cset)
    assert "Tôi đã nghe bản đọc này" in str(refused.value) and "0,11" in str(refused.value)
    session.rollback()
    assert session.get(Bulletin, b.id).status == BulletinStatus.SUBMITTED  # type: ignore[union-attr]
    bl.approve(session, b, "r", "nghe rồi", listened=True, settings=cset)
    session.commit()
    row = session.scalar(select(AuditLog).where(AuditLog.action == "bulletin.approve"))
    assert row is not None and row.detail["listened"] is True and row.detail["clarity"] == pytest.approx(1 / 9)
    # a higher threshold is the setting's business, a lower one lets it through
    b2 = _low(session, factory, cset, heard, title="Tin hai")
    bl.approve(session, b2, "r", settings=dataclasses.replace(cset, clarity_threshold=0.1))
    session.commit()
    assert b2.status == BulletinStatus.APPROVED


def test_an_emergency_is_never_held_back_but_its_score_is_recorded(
    session: Session, factory: sessionmaker[Session], stations: list[str], cset: Settings, heard: Heard
) -> None:
    b = _low(session, factory, cset, heard, priority="emergency", valid_from=date(2026, 12, 1),
             valid_to=date(2026, 12, 1))
    bl.approve(session, b, "r", settings=cset)
    session.commit()
    row = session.scalar(select(AuditLog).where(AuditLog.action == "bulletin.approve"))
    assert row is not None and row.detail["listened"] is False and row.detail["clarity"] == pytest.approx(1 / 9)


def test_the_cli_obeys_the_same_rule_with_the_same_words(
    session: Session, factory: sessionmaker[Session], stations: list[str], cset: Settings, heard: Heard,
    monkeypatch: pytest.MonkeyPatch, db_url: str,
) -> None:
    b = _low(session, factory, cset, heard)
    with pytest.raises(BroadcastError) as refused:
        bl.approve(session, b, "r", settings=cset)
    session.rollback()
    monkeypatch.setenv("LOA_ENGINE_ORDER", "espeak")
    runner = CliRunner()
    out = runner.invoke(cli, ["bulletin", "approve", str(b.id), "--actor", "r", "--no-render"])
    assert out.exit_code == 1 and str(refused.value) in out.output
    out = runner.invoke(cli, ["bulletin", "approve", str(b.id), "--actor", "r", "--listened", "--no-render"])
    assert out.exit_code == 0, out.output
    session.expire_all()
    assert session.get(Bulletin, b.id).status == BulletinStatus.APPROVED  # type: ignore[union-attr]
    shown = runner.invoke(cli, ["bulletin", "show", str(b.id)])
    assert "Độ rõ: 0.11" in shown.output and "từ bị nghe sót" in shown.output
    listed = json.loads(runner.invoke(cli, ["bulletin", "list", "--json"]).stdout)
    assert listed[0]["clarity"] == pytest.approx(1 / 9)


def test_the_cli_checks_after_the_render_and_prints_the_score(
    session: Session, stations: list[str], heard: Heard, monkeypatch: pytest.MonkeyPatch, db_url: str,
    settings: Settings,
) -> None:
    b = bl.create_bulletin(session, title="T", body=BODY, valid_from=date(2026, 12, 1), valid_to=date(2026, 12, 3),
                           actor="e", station_codes=["hiep-an"], settings=settings)
    session.commit()
    heard.text = BODY
    monkeypatch.setenv("LOA_ENGINE_ORDER", "espeak")
    monkeypatch.setenv("LOA_CLARITY_CHECK", "1")
    out = CliRunner().invoke(cli, ["bulletin", "render", str(b.id)])
    assert out.exit_code == 0, out.output
    assert "Độ rõ: 1.00" in out.output and heard.calls == 1


def test_loa_bulletin_check_runs_the_check_again(
    session: Session, factory: sessionmaker[Session], stations: list[str], cset: Settings, heard: Heard,
    db_url: str,
) -> None:
    b = _low(session, factory, cset, heard)
    heard.text = BODY  # the recognizer hears better now
    out = CliRunner().invoke(cli, ["bulletin", "check", str(b.id)])
    assert out.exit_code == 0, out.output
    assert "Độ rõ: 1.00" in out.stdout and "Đã kiểm tra 1 tệp" in out.output
    session.expire_all()
    assert session.get(ClarityCheck, b.media_sha256).score == 1.0  # type: ignore[union-attr]
    draft = bl.create_bulletin(session, title="Nháp", body=BODY, valid_from=date(2026, 12, 1),
                               valid_to=date(2026, 12, 1), actor="e", settings=cset)
    session.commit()
    out = CliRunner().invoke(cli, ["bulletin", "check", str(draft.id)])
    assert out.exit_code == 1 and "chưa có âm thanh" in out.output
