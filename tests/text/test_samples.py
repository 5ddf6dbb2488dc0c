"""Every shipped sample script must reach the voice with no digit and no known abbreviation."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.text import find_unspeakable, normalize, prepare
from tests.conftest import SAMPLES

SAMPLE_FILES = sorted(SAMPLES.glob("*.txt"))


def test_there_are_samples() -> None:
    assert len(SAMPLE_FILES) >= 4


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_sample_normalizes_to_speakable_text(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    raw = find_unspeakable(text)
    assert raw, "the samples contain digits and abbreviations, so the check can fail"
    assert find_unspeakable(normalize(text)) == []
    utterances = prepare(text)
    assert utterances
    for utt in utterances:
        assert find_unspeakable(utt.text) == [], utt.text
        assert utt.text.strip() == utt.text and utt.text


def test_plan_sample_structure() -> None:
    utts = prepare((SAMPLES / "ke-hoach-24-KH-HU.txt").read_text(encoding="utf-8"))
    headings = [u.text for u in utts if u.boundary == "heading"]
    assert headings[:4] == [
        "Số hai mươi tư, kế hoạch của Huyện ủy",
        "Kế hoạch",
        "chỉ thị của Đảng, pháp luật của Nhà nước trong tình hình mới",
        "Mục đích, yêu cầu",
    ]
    assert "Nội dung đổi mới" in headings and "Tổ chức thực hiện" in headings
    assert headings[-1] == "Lê Hồng Khánh"
    spoken = " ".join(u.text for u in utts)
    for phrase in [
        "Đại hội mười ba của Đảng",
        "lần thứ mười một",
        "nhiệm kỳ hai nghìn không trăm hai mươi đến hai nghìn không trăm hai mươi lăm",
        "đô thị loại bốn",
        "chính quyền, Mặt trận Tổ quốc",  # the line OCR broke in two
        "Ban Tuyên giáo Tỉnh ủy",
        "Thường trực Hội đồng nhân dân",
    ]:
        assert phrase in spoken


def test_storm_sample_reads_times_speeds_and_phone() -> None:
    spoken = normalize((SAMPLES / "canh-bao-bao-khan-cap.txt").read_text(encoding="utf-8"))
    assert spoken.startswith("Tin khẩn cấp: cảnh báo bão số chín\n")
    assert "Hồi bốn giờ ngày hai mươi bảy tháng mười một năm hai nghìn không trăm hai mươi sáu" in spoken
    assert "cấp mười đến mười một, tám mươi chín đến một trăm mười bảy ki lô mét trên giờ" in spoken
    assert "không hai sáu ba, ba sáu năm tám, một một bốn" in spoken
    assert "Ban Chỉ huy Phòng chống thiên tai và Tìm kiếm cứu nạn xã yêu cầu" in spoken
