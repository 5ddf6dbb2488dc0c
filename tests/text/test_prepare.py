from __future__ import annotations

import logging

import pytest

from pipeline.text import find_unspeakable, normalize, prepare
from pipeline.text.segment import MAX_UTTERANCE_CHARS
from pipeline.types import PipelineError, Utterance


def test_boundaries_of_a_notice() -> None:
    text = (
        "THÔNG BÁO\n"
        "Về việc tiêm chủng tháng 12/2026\n"
        "\n"
        "Trạm Y tế xã thông báo đến toàn thể Nhân dân như sau:\n"
        "\n"
        "- Thời gian: từ 7h30 đến 11h00, ngày 08/12.\n"
        "- Địa điểm: Trạm Y tế xã.\n"
        "\n"
        "Đề nghị bà con đến đúng giờ. Xin cảm ơn!\n"
    )
    assert prepare(text) == [
        Utterance("Thông báo", "heading"),
        Utterance("Về việc tiêm chủng tháng mười hai năm hai nghìn không trăm hai mươi sáu", "heading"),
        Utterance("Trạm Y tế xã thông báo đến toàn thể Nhân dân như sau", "paragraph"),
        Utterance("Thời gian: từ bảy giờ ba mươi phút đến mười một giờ", "comma"),
        Utterance("ngày tám tháng mười hai.", "sentence"),
        Utterance("Địa điểm: Trạm Y tế xã.", "paragraph"),
        Utterance("Đề nghị bà con đến đúng giờ.", "sentence"),
        Utterance("Xin cảm ơn!", "paragraph"),
    ]


def test_roman_heading_is_a_heading() -> None:
    utts = prepare("II. NỘI DUNG ĐỔI MỚI\n\nNội dung chính như sau.")
    assert utts == [
        Utterance("Phần hai.", "sentence"),
        Utterance("Nội dung đổi mới", "heading"),
        Utterance("Nội dung chính như sau.", "paragraph"),
    ]


def test_short_clauses_are_read_together() -> None:
    utts = prepare(
        "Cán bộ, đảng viên, công chức, viên chức và người lao động trong cơ quan, đơn vị phải tham gia."
    )
    assert [u.boundary for u in utts] == ["comma", "paragraph"]
    assert utts[0].text == "Cán bộ, đảng viên, công chức"
    assert all(len(u.text) >= 20 for u in utts)


def test_phone_number_is_never_cut_between_groups() -> None:
    utts = prepare("Mọi thắc mắc xin liên hệ điện thoại 0263.3843.123 hoặc 0912 345 678.")
    assert any("không hai sáu ba, ba tám bốn ba, một hai ba" in u.text for u in utts)
    assert any("không chín một hai, ba bốn năm, sáu bảy tám" in u.text for u in utts)


def test_line_broken_by_ocr_is_joined() -> None:
    text = "1. Tăng cường vai trò của các cấp ủy Đảng, chính\n\nquyền, Mặt trận Tổ quốc\n\n- Nội dung."
    utts = prepare(text)
    joined = " ".join(u.text for u in utts)
    assert "chính quyền, Mặt trận Tổ quốc" in joined
    assert utts[-2].boundary == "heading"  # a numbered line without a closing mark is a heading


def test_soft_wrapped_lines_inside_a_paragraph_are_joined() -> None:
    utts = prepare("Bão di chuyển theo hướng\ntây với tốc độ 15km/h.")
    assert utts == [
        Utterance("Bão di chuyển theo hướng tây với tốc độ mười lăm ki lô mét trên giờ.", "paragraph")
    ]


def test_list_lines_ending_with_comma_pause_short() -> None:
    utts = prepare("Nơi nhận:\n\n- BTG/TU,\n- TT/HU, TT/HĐND, UBND huyện,\n- Lưu VP.")
    assert utts == [
        Utterance("Nơi nhận", "paragraph"),
        Utterance("Ban Tuyên giáo Tỉnh ủy", "comma"),
        # a short last clause is read with the one before it
        Utterance("Thường trực Huyện ủy, Thường trực Hội đồng nhân dân, Ủy ban nhân dân huyện", "comma"),
        Utterance("Lưu Văn phòng.", "paragraph"),
    ]


def test_very_long_clause_is_cut_on_word_boundaries() -> None:
    long_clause = " ".join(["tuyên truyền nghị quyết của Đảng đến Nhân dân"] * 30) + "."
    utts = prepare(long_clause)
    assert len(utts) >= 4
    assert all(len(u.text) <= MAX_UTTERANCE_CHARS for u in utts)
    assert " ".join(u.text for u in utts) == long_clause
    assert [u.boundary for u in utts][-1] == "paragraph"
    assert {u.boundary for u in utts[:-1]} == {"comma"}


def test_notes_and_markup_do_not_become_utterances() -> None:
    text = "*\n**T/M BAN THƯỜNG VỤ\nPHÓ BÍ THƯ**\n\n[Handwritten signature]\n\nLê Hồng Khánh\n"
    assert prepare(text) == [
        Utterance("Thay mặt ban thường vụ", "heading"),
        Utterance("Phó bí thư", "heading"),
        Utterance("Lê Hồng Khánh", "heading"),
    ]


@pytest.mark.parametrize("text", ["", "   \n\n", "*\n[Handwritten signature]\n", "😀🎉", "中文"])
def test_nothing_to_read_is_an_error(text: str) -> None:
    with pytest.raises(PipelineError, match="Văn bản trống"):
        prepare(text)


def test_emoji_and_cjk_are_dropped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pipeline.text.cleanup"):
        utts = prepare("Chúc mừng năm mới 🎉 bà con 新年快乐!")
    assert utts == [Utterance("Chúc mừng năm mới bà con!", "paragraph")]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "🎉" in warnings[0].getMessage() and "新" in warnings[0].getMessage()


def test_vietnamese_and_latin_text_passes_without_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        out = normalize("Hội thảo “Smart village” – café Đà Lạt, naïve")
    assert out == "Hội thảo Smart village, café Đà Lạt, naïve"
    assert not caplog.records


def test_decomposed_unicode_is_composed() -> None:
    decomposed = "Nghi\u0323 quyê\u0301t"  # "Nghị quyết" as some Word exports write it
    assert normalize(decomposed) == "Nghị quyết"


def test_normalize_keeps_lines() -> None:
    assert normalize("17h30\n\nngày 15/3") == "mười bảy giờ ba mươi phút\n\nngày mười lăm tháng ba"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("họp lúc 17h30", ["17h30"]),
        ("UBND xã và HĐND", ["UBND", "HĐND"]),
        ("kế hoạch KH/HU", ["/", "KH", "HU"]),
        ("tăng 5%", ["5%"]),
        ("tăng năm %", ["%"]),
        ("Đ/c Khánh", ["Đ/c"]),
        ("và/hoặc", ["/"]),
        ("đạt chín mươi phần trăm", []),
        ("Hu Hu và Tu", []),
    ],
)
def test_find_unspeakable(text: str, found: list[str]) -> None:
    assert sorted(find_unspeakable(text)) == sorted(found)


def test_list_items_after_an_unpunctuated_line_are_not_joined() -> None:
    utts = prepare("Đề nghị bà con chuẩn bị\n- giấy tờ tùy thân.\n- sổ tiêm chủng.")
    assert utts == [
        Utterance("Đề nghị bà con chuẩn bị", "sentence"),  # a lead-in, not a title
        Utterance("giấy tờ tùy thân.", "sentence"),
        Utterance("sổ tiêm chủng.", "paragraph"),
    ]


def test_word_bullets_are_bullets_and_symbols_elsewhere_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pipeline.text.cleanup"):
        utts = prepare("Cần chuẩn bị:\n\u27a2 Giấy tờ.\n\uf0b7 Sổ tiêm.\n\u25aa Tiền.")
    assert [u.text for u in utts] == ["Cần chuẩn bị", "Giấy tờ.", "Sổ tiêm.", "Tiền."]
    assert not caplog.records
    with caplog.at_level(logging.WARNING, logger="pipeline.text.cleanup"):
        assert normalize("Đã xong ✅ rồi ❤") == "Đã xong rồi"
    assert len(caplog.records) == 1
