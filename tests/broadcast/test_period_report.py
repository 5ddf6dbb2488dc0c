"""The periodic report for leadership (issue 11.4): its figures, and the DOCX, XLSX and CSV files
opened again with python-docx, openpyxl and csv to check what they say."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from docx import Document
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from broadcast import asrun, period_export, units
from broadcast import bulletins as bl
from broadcast import stations as st
from broadcast.errors import BroadcastError
from broadcast.models import Bulletin, Playlist, PlaylistItem
from broadcast.period_report import NO_LOG, period_report
from loa.cli import cli

VN = ZoneInfo("Asia/Ho_Chi_Minh")
D1, D2 = date(2026, 11, 2), date(2026, 11, 3)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=VN)
UNITS_CSV = """code,name,kind,parent
68,Tỉnh Lâm Đồng,tinh,
24820,Xã Hiệp Thạnh,xa,68
24823,Xã Đức Trọng,xa,68
24826,Xã Tà Năng,xa,68
"""


def at(day: date, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=VN)


def _bulletin(session: Session, title: str) -> Bulletin:
    b = bl.create_bulletin(session, title=title, body="Nội dung.", priority="normal", valid_from=D1,
                           valid_to=D2, actor="e", unit="68")  # the province's source system  # fmt: skip
    bl.submit(session, b, "e")
    bl.approve(session, b, "r")
    return b


def _plan(session: Session, code: str, day: date, items: list[tuple[str, Bulletin, float, str]]) -> None:
    pl = Playlist(station_id=st.get_station(session, code).id, date=day, version=1, manifest={}, etag=f"{code}{day}")
    for pos, (hhmm, b, secs, lang) in enumerate(items):
        pl.items.append(PlaylistItem(position=pos, start=at(day, hhmm), duration_s=secs, kind="bulletin",
                                     title=b.title + (" (Tiếng K'Ho)" if lang else ""), priority="normal",
                                     bulletin_id=b.id, language=lang))  # fmt: skip
    session.add(pl)


def _row(uid: str, day: date, hhmm: str, b: Bulletin, status: str = "played", secs: int = 300, **kw: Any) -> dict[str, Any]:
    start = at(day, hhmm)
    r = {"uid": uid, "date": day.isoformat(), "kind": "bulletin", "title": b.title, "bulletin_id": b.id,
         "planned_start": start.isoformat(), "planned_end": (start + timedelta(seconds=secs)).isoformat(),
         "status": status, "detail": ""}  # fmt: skip
    if status in ("played", "cut"):
        r["actual_start"], r["actual_end"] = start.isoformat(), (start + timedelta(seconds=secs)).isoformat()
    return {**r, **kw}


@pytest.fixture
def province(session: Session, stations: list[str]) -> dict[str, Bulletin]:
    """Three communes of Lâm Đồng; Hiệp Thạnh has two clusters (hiep-an, lien-nghia)."""
    units.import_units(session, units.parse_units_csv(UNITS_CSV), actor="admin")
    session.flush()
    for code, unit in (("hiep-an", "24820"), ("lien-nghia", "24820"), ("ta-nang", "24826"), ("nthol-ha", "24823")):
        st.get_station(session, code).unit_id = units.get(session, unit).id
    nq = _bulletin(session, "Nghị quyết Đại hội Đảng bộ tỉnh")
    tb = _bulletin(session, "Thông báo tiêm chủng")
    for day in (D1, D2):
        _plan(session, "hiep-an", day, [("05:30", nq, 300, ""), ("05:35", nq, 280, "kpm"), ("05:40", tb, 60, "")])
        _plan(session, "lien-nghia", day, [("05:30", nq, 300, "")])
        _plan(session, "ta-nang", day, [("05:30", nq, 300, "")])
    asrun.record_asrun(session, st.get_station(session, "hiep-an"), [
        _row("h1", D1, "05:30", nq), _row("h2", D1, "05:35", nq, secs=280, language="kpm"),
        _row("h3", D1, "05:40", tb, secs=60),
        _row("h4", D2, "05:30", nq), _row("h5", D2, "05:35", nq, "skipped", secs=280, language="kpm",
                                         cause="no_media", detail="chưa tải được tệp"),
        _row("h6", D2, "05:40", tb, "cut", secs=60, cause="emergency"),
    ])  # fmt: skip
    asrun.record_asrun(session, st.get_station(session, "lien-nghia"), [
        _row("l1", D1, "05:30", nq), _row("l2", D2, "05:30", nq, "failed", cause="device", detail="lỗi"),
    ])  # fmt: skip
    # Tà Năng's agent never reported: both plays are misses without a log
    session.commit()
    return {"nq": nq, "tb": tb}


def test_figures_per_bulletin_and_commune(session: Session, province: dict[str, Bulletin]) -> None:
    nq, tb = province["nq"], province["tb"]
    rep = period_report(session, D1, D2, "68", now=NOW)
    assert rep.unit_name == "Tỉnh Lâm Đồng"
    main = rep.bulletin(nq.id)
    assert (main.counts.planned, main.counts.aired, main.counts.misses) == (6, 3, 3)
    assert main.counts.minutes == 15.0
    assert main.reached == {"24820"} and main.targeted == {"24820", "24826", "24823"}
    assert main.counts.reasons == {"lỗi thiết bị phát": 1, NO_LOG: 2}
    kho = rep.bulletin(nq.id, "kpm")
    assert (kho.counts.planned, kho.counts.aired, kho.language_label) == (2, 1, "Tiếng K'Ho")
    assert kho.counts.reasons == {"chưa tải được tệp": 1}
    notice = rep.bulletin(tb.id)
    assert (notice.counts.aired, notice.counts.cut, notice.counts.misses) == (2, 1, 0)
    by_name = {c.commune.name: c for c in rep.communes}
    assert by_name["Xã Hiệp Thạnh"].stations == 2 and by_name["Xã Hiệp Thạnh"].counts.aired == 6
    assert by_name["Xã Tà Năng"].counts.misses == 2 and by_name["Xã Tà Năng"].counts.aired == 0
    assert rep.languages["kpm"].aired == 1 and rep.languages[""].aired == 5
    one = period_report(session, D1, D2, "24826", now=NOW)
    assert [c.commune.name for c in one.communes] == ["Xã Tà Năng"] and one.totals.planned == 2


def test_bad_period_and_unknown_unit_are_clear_errors(session: Session, province: dict[str, Bulletin]) -> None:
    with pytest.raises(BroadcastError, match="trước ngày đầu"):
        period_report(session, D2, D1)
    with pytest.raises(BroadcastError, match="tối đa 366 ngày"):
        period_report(session, D1, D1 + timedelta(days=400))
    with pytest.raises(BroadcastError):
        period_report(session, D1, D2, "khong-co")


def _head(rep: Any) -> period_export.Letterhead:
    return period_export.Letterhead(issuer="Ủy ban nhân dân tỉnh Lâm Đồng", number="15", symbol="UBND",
                                    place="Lâm Đồng", signer_authority="TM. Ủy ban nhân dân", signer_title="Chủ tịch",
                                    signer_name="Nguyễn Văn A", recipients=("Thường trực Tỉnh ủy",),
                                    signed_on=date(2026, 12, 1))  # fmt: skip


def _docx_text(data: bytes) -> tuple[list[str], Any]:
    doc = Document(io.BytesIO(data))
    paras = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for r in t.rows:
            for c in r.cells:
                paras.extend(p.text for p in c.paragraphs)
    return paras, doc


def test_docx_is_laid_out_as_an_administrative_report(session: Session, province: dict[str, Bulletin]) -> None:
    rep = period_report(session, D1, D2, "68", now=NOW)
    texts, doc = _docx_text(period_export.export(rep, "docx", _head(rep)))
    head = doc.tables[0].rows[0].cells
    left, right = [p.text for p in head[0].paragraphs], [p.text for p in head[1].paragraphs]
    assert left[0] == "ỦY BAN NHÂN DÂN TỈNH LÂM ĐỒNG" and "Số: 15/BC-UBND" in left
    assert right[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert "Lâm Đồng, ngày 01 tháng 12 năm 2026" in right
    assert head[1].paragraphs[0].runs[0].bold and head[1].paragraphs[-1].runs[0].italic
    assert "BÁO CÁO" in texts and any(t.startswith("Kết quả tuyên truyền") and "Tỉnh Lâm Đồng" in t
                                      and "từ ngày 02/11/2026 đến ngày 03/11/2026" in t for t in texts)  # fmt: skip
    assert any("đã phát 6/10 lượt bản tin theo kế hoạch (đạt 60%)" in t for t in texts)
    bulletins = doc.tables[1]
    assert [c.text for c in bulletins.rows[0].cells][:3] == ["STT", "Bản tin / nghị quyết", "Ngôn ngữ"]
    first = [c.text for c in bulletins.rows[1].cells]
    assert first[1] == "Nghị quyết Đại hội Đảng bộ tỉnh" and first[4:8] == ["6", "3", "15,0", "1/3 (33%)"]
    assert NO_LOG in first[9]
    communes = [[c.text for c in r.cells] for r in doc.tables[2].rows]
    assert communes[1][:5] == ["1", "Xã Hiệp Thạnh", "2", "8", "6"]
    assert len(doc.inline_shapes) == 1  # the chart
    foot = doc.tables[-1].rows[0].cells
    assert [p.text for p in foot[0].paragraphs][:3] == ["Nơi nhận:", "- Thường trực Tỉnh ủy;", "- Lưu: VT."]
    sign = [p.text for p in foot[1].paragraphs]
    assert sign[:2] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"] and sign[-1] == "Nguyễn Văn A"


def test_xlsx_has_its_sheets_and_a_native_chart(session: Session, province: dict[str, Bulletin]) -> None:
    rep = period_report(session, D1, D2, "68", now=NOW)
    wb = load_workbook(io.BytesIO(period_export.export(rep, "xlsx", _head(rep))))
    assert wb.sheetnames == ["Tổng hợp", "Theo xã", "Ngôn ngữ"]
    summary = wb["Tổng hợp"]
    assert "BÁO CÁO" in summary["A1"].value and "Số: 15/BC-UBND" in summary["A2"].value
    assert [c.value for c in summary[4]][:2] == ["STT", "Bản tin / nghị quyết"]
    assert [c.value for c in summary[5]][4:8] == [6, 3, 15.0, "1/3 (33%)"]
    communes = wb["Theo xã"]
    assert len(communes._charts) == 1
    rows = {r[1]: r for r in communes.iter_rows(min_row=2, values_only=True)}
    assert rows["Xã Tà Năng"][6] == 2 and NO_LOG in rows["Xã Tà Năng"][7]
    langs = {r[0]: r for r in wb["Ngôn ngữ"].iter_rows(min_row=2, values_only=True)}
    assert langs["Tiếng K'Ho"][1:3] == (2, 1) and langs["Tiếng Việt"][2] == 5


def test_csv_and_the_loa_command(session: Session, province: dict[str, Bulletin], tmp_path: Path) -> None:
    rep = period_report(session, D1, D2, "68", now=NOW)
    table = list(csv.reader(io.StringIO(period_export.export(rep, "csv", _head(rep)).decode("utf-8-sig"))))
    assert table[0][:4] == ["Mã bản tin", "Bản tin / nghị quyết", "Ngôn ngữ", "Xã, phường"]
    totals = [r for r in table if r[3] == "Tổng"]
    assert totals[0][4:8] == ["6", "3", "15,0", "1/3 (33%)"]
    runner = CliRunner()
    for fmt in ("docx", "xlsx", "csv"):
        out = tmp_path / f"bc.{fmt}"
        res = runner.invoke(cli, ["report", "period", "--from", "2026-11-02", "--to", "2026-11-03", "--unit", "68",
                                  "--format", fmt, "-o", str(out)], catch_exceptions=False)  # fmt: skip
        assert res.exit_code == 0, res.output
        assert "Đã ghi" in res.output and out.stat().st_size > 0
    texts, _ = _docx_text((tmp_path / "bc.docx").read_bytes())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts
    bad = runner.invoke(cli, ["report", "period", "--from", "2026-11-03", "--to", "2026-11-02", "--format", "csv",
                              "-o", str(tmp_path / "x.csv")])  # fmt: skip
    assert bad.exit_code == 1 and "trước ngày đầu" in bad.output and not (tmp_path / "x.csv").exists()


def test_date_line_follows_the_decree() -> None:
    assert period_export.date_line("Lâm Đồng", date(2026, 12, 1)) == "Lâm Đồng, ngày 01 tháng 12 năm 2026"
    assert period_export.date_line("Hà Nội", date(2027, 2, 15)) == "Hà Nội, ngày 15 tháng 02 năm 2027"
    assert period_export.date_line("Huế", date(2027, 3, 9)) == "Huế, ngày 09 tháng 3 năm 2027"
