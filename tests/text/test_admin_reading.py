"""Issue 7.31, beyond the table: how the new readings reach the voice as pauses, what the editor's
check flags, and that operators can still override a foreign acronym."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.text import find_unspeakable, load_lexicon, normalize, prepare
from pipeline.types import Utterance
from tests.conftest import SAMPLES


def test_number_and_year_of_a_code_are_separate_utterances() -> None:
    utts = prepare("Căn cứ Nghị định số 100/2019/NĐ-CP ngày 30/12/2019 của Chính phủ về xử phạt vi phạm.")
    assert utts[0] == Utterance("Căn cứ Nghị định số một trăm", "comma")
    assert utts[1].text.startswith("năm hai nghìn không trăm mười chín")


def test_dash_between_name_and_title_is_a_pause_the_voice_makes() -> None:
    utts = prepare("Đồng chí Nguyễn Văn Bình - Bí thư Đảng ủy xã Hiệp Thạnh phát biểu khai mạc hội nghị.")
    assert utts == [
        Utterance("Đồng chí Nguyễn Văn Bình", "comma"),
        Utterance("Bí thư Đảng ủy xã Hiệp Thạnh phát biểu khai mạc hội nghị.", "paragraph"),
    ]


def test_the_vaccination_notice_names_its_issuer_once() -> None:
    spoken = normalize((SAMPLES / "thong-bao-tiem-chung.txt").read_text(encoding="utf-8"))
    assert spoken.count("Ủy ban nhân dân") == 1
    assert "Kế hoạch số một trăm năm mươi hai ngày hai mươi tháng mười một" in spoken


@pytest.mark.parametrize("raw", ["WHO", "UNICEF", "ASEAN", "OCOP", "HIV/AIDS", "4G"])
def test_raw_foreign_acronyms_are_flagged_to_the_editor(raw: str) -> None:
    assert find_unspeakable(f"Theo {raw} thì") != []
    assert find_unspeakable(normalize(f"Theo {raw} thì")) == []


def test_lexicon_overrides_a_foreign_acronym(tmp_path: Path) -> None:
    path = tmp_path / "lex.toml"
    path.write_text('[words]\n"WHO" = "vê kép hát ô"\n', encoding="utf-8")
    assert normalize("khuyến cáo của WHO", load_lexicon(path)) == "khuyến cáo của vê kép hát ô"


@pytest.mark.parametrize(
    "text",
    [
        "giấy đăng ký ngày/tháng/năm sinh",  # a form's column header, not a rate
        "và/hoặc",
        "Nam/Nữ",
    ],
)
def test_slashes_that_are_not_rates_are_not_read_as_rates(text: str) -> None:
    assert " một " not in f" {normalize(text)} "


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Xem tại dichvucong.gov.vn nhé", "dichvucong.gov.vn"),
        ("Truy cập https://ductrong.lamdong.gov.vn/tin-tuc", "https://ductrong.lamdong.gov.vn/tin-tuc"),
        ("trang www.vov.vn", "www.vov.vn"),
        ("email ubnd@xa.gov.vn", "@"),
    ],
)
def test_raw_addresses_are_flagged_and_their_reading_is_not(text: str, flagged: str) -> None:
    assert flagged in find_unspeakable(text)
    assert find_unspeakable(normalize(text)) == []


def test_issuer_written_as_a_lexicon_entry_is_still_said_once(tmp_path: Path) -> None:
    path = tmp_path / "lex.toml"
    path.write_text('[words]\n"HU Đức Trọng" = "Huyện ủy Đức Trọng"\n', encoding="utf-8")
    spoken = normalize("Kế hoạch số 24-KH/HU ngày 15/3/2021 của HU Đức Trọng", load_lexicon(path))
    assert spoken == (
        "Kế hoạch số hai mươi tư ngày mười lăm tháng ba năm hai nghìn không trăm hai mươi mốt "
        "của Huyện ủy Đức Trọng"
    )
