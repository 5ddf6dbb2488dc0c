from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.text import Lexicon, LexiconEntry, load_lexicon, normalize, prepare
from pipeline.text.lexicon import optional_lexicon
from pipeline.types import PipelineError

TOML = """
[words]
"Đ/c" = "đồng chí"
"HTX Phú Thạnh" = "hợp tác xã Phú Thạnh"
"24-KH/HU" = "kế hoạch hai mươi bốn của Huyện ủy"
"UBND" = "u bê en đê"

[[entry]]
match = "k'ho"
say = "Cơ Ho"
ignore_case = true

[[entry]]
match = "Lâm"
say = "Lâm Đồng"
whole_word = false
"""

CSV = """# station words
match,say,ignore_case,whole_word
Đ/c,đồng chí,,
k'ho,Cơ Ho,true,
"Phú Thạnh, Phú An",hai thôn phía Đông,,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_toml_lexicon_wins_over_built_in_rules(tmp_path: Path) -> None:
    lex = load_lexicon(write(tmp_path, "lex.toml", TOML))
    assert len(lex) == 6
    # entries beat the document-code rule, the abbreviation table and the number rules
    assert normalize("Số 24-KH/HU", lex) == "Số kế hoạch hai mươi bốn của Huyện ủy"
    assert normalize("UBND xã", lex) == "u bê en đê xã"
    assert normalize("HTX Phú Thạnh có 120 hộ", lex) == "hợp tác xã Phú Thạnh có một trăm hai mươi hộ"
    # ignore_case entry
    assert normalize("Dân tộc K'Ho", lex) == "Dân tộc Cơ Ho"
    # whole_word = false also replaces inside words
    assert normalize("Lâmhà", lex) == "Lâm Đồnghà"


def test_whole_word_and_case_sensitive_by_default(tmp_path: Path) -> None:
    lex = load_lexicon(write(tmp_path, "lex.toml", '[words]\n"Lâm" = "Lâm Đồng"\n'))
    assert normalize("Lâm Hà", lex) == "Lâm Đồng Hà"
    assert normalize("lâm nghiệp", lex) == "lâm nghiệp"
    assert normalize("Lâmhà", lex) == "Lâmhà"


def test_csv_lexicon(tmp_path: Path) -> None:
    lex = load_lexicon(write(tmp_path, "lex.csv", CSV))
    assert len(lex) == 3
    assert normalize("Đ/c Khánh, dân tộc K'HO, Phú Thạnh, Phú An", lex) == (
        "đồng chí Khánh, dân tộc Cơ Ho, hai thôn phía Đông"
    )


def test_csv_without_header_and_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "lex.csv"
    path.write_bytes("\ufeffHĐND,hội đồng\n".encode())
    assert normalize("HĐND xã", load_lexicon(path)) == "hội đồng xã"


def test_later_duplicate_wins(tmp_path: Path) -> None:
    lex = load_lexicon(write(tmp_path, "lex.csv", "Đ/c,đồng chí\nĐ/c,anh\n"))
    assert [e.say for e in lex.entries] == ["anh"]


def test_lexicon_applies_in_prepare(tmp_path: Path) -> None:
    lex = load_lexicon(write(tmp_path, "lex.toml", TOML))
    assert prepare("Đ/c Khánh phát biểu.", lex)[0].text == "đồng chí Khánh phát biểu."


def test_fingerprint_is_content_based() -> None:
    a = Lexicon((LexiconEntry("A", "a"), LexiconEntry("B", "bê")))
    b = Lexicon((LexiconEntry("B", "bê"), LexiconEntry("A", "a")))
    c = Lexicon((LexiconEntry("A", "a"), LexiconEntry("B", "bờ")))
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != c.fingerprint()
    assert len(a.fingerprint()) == 64
    assert hash(a) == hash(Lexicon((LexiconEntry("A", "a"), LexiconEntry("B", "bê"))))
    with pytest.raises(AttributeError):
        a.entries = ()  # type: ignore[misc]


def test_same_file_in_toml_and_csv_has_same_fingerprint(tmp_path: Path) -> None:
    t = load_lexicon(write(tmp_path, "a.toml", '[words]\n"Đ/c" = "đồng chí"\n'))
    c = load_lexicon(write(tmp_path, "a.csv", "Đ/c,đồng chí\n"))
    assert t.fingerprint() == c.fingerprint()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.toml", '[words\n"a" = "b"', "cú pháp TOML"),
        ("bad.toml", '[words]\n"UBND" = "ủy ban 1"\n', "chữ số"),
        ("bad.toml", '[words]\n"UBND" = ""\n', "thiếu cách đọc"),
        ("bad.toml", '[other]\n"a" = "b"\n', "không hỗ trợ"),
        ("bad.toml", '[[entry]]\nmatch = "a"\nsay = "b"\ncolour = "x"\n', "không hỗ trợ"),
        ("bad.toml", '[[entry]]\nmatch = "a"\nsay = "b"\nignore_case = "maybe"\n', "đúng/sai"),
        ("bad.csv", "chỉ một cột\n", "cột"),
        ("bad.csv", "a,b,c,d,e\n", "cột"),
        ("bad.csv", ",đọc\n", "thiếu từ"),
        ("bad.txt", "a,b\n", ".toml hoặc .csv"),
    ],
)
def test_bad_files_raise_pipeline_error(tmp_path: Path, name: str, content: str, message: str) -> None:
    with pytest.raises(PipelineError, match=message):
        load_lexicon(write(tmp_path, name, content))


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="Không đọc được"):
        load_lexicon(tmp_path / "none.toml")
    path = tmp_path / "latin1.csv"
    path.write_bytes("Đ/c,đồng chí\n".encode("utf-16"))
    with pytest.raises(PipelineError, match="UTF-8"):
        load_lexicon(path)


def test_optional_lexicon(tmp_path: Path) -> None:
    assert optional_lexicon("") is None
    assert optional_lexicon(None) is None
    assert len(optional_lexicon(write(tmp_path, "a.csv", "a,b\n")) or ()) == 1
