"""Number readings, checked by parsing them back with an independent, strict parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.text import normalize
from pipeline.text.numbers import (
    read_decimal,
    read_digits,
    read_month,
    read_number,
    read_ordinal,
    roman_to_int,
    spell,
)

UNITS = {"một": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9}
SCALES = (("tỷ", 10**9), ("triệu", 10**6), ("nghìn", 10**3))


class Unreadable(ValueError):
    pass


def _units_word(word: str, after: str | None) -> int:
    """A units digit; the special forms are only legal in their own places."""
    if word == "mốt":
        if after != "mươi":
            raise Unreadable("mốt only after mươi")
        return 1
    if word == "lăm":
        if after not in {"mười", "mươi"}:
            raise Unreadable("lăm only after mười/mươi")
        return 5
    if word == "tư":
        if after != "mươi":
            raise Unreadable("tư only after mươi")
        return 4
    if word == "năm" and after in {"mười", "mươi"}:
        raise Unreadable("năm after mười/mươi must be lăm")
    if word == "một" and after == "mươi":
        raise Unreadable("một after mươi must be mốt")
    if word not in UNITS:
        raise Unreadable(word)
    return UNITS[word]


def parse_below_thousand(words: list[str], full: bool) -> int:
    """Inverse of a 1–999 group; ``full`` groups must say their hundreds ("không trăm")."""
    i, value = 0, 0
    if len(words) >= 2 and words[1] == "trăm":
        value = 0 if words[0] == "không" else UNITS[words[0]] * 100
        if words[0] == "không" and not full:
            raise Unreadable("leading group with không trăm")
        i = 2
    elif full:
        raise Unreadable(f"inner group without hundreds: {words}")
    rest = words[i:]
    if not rest:
        return value
    if rest[0] == "linh":
        if i == 0 or len(rest) != 2:
            raise Unreadable("linh needs hundreds and one digit")
        return value + _units_word(rest[1], "linh")
    if rest[0] == "mười":
        if len(rest) > 2:
            raise Unreadable(str(rest))
        return value + 10 + (_units_word(rest[1], "mười") if len(rest) == 2 else 0)
    if len(rest) >= 2 and rest[1] == "mươi":
        tens = UNITS[rest[0]]
        if tens == 1 or len(rest) > 3:
            raise Unreadable(str(rest))
        return value + tens * 10 + (_units_word(rest[2], "mươi") if len(rest) == 3 else 0)
    if len(rest) == 1 and i == 0:
        return value + _units_word(rest[0], None)
    raise Unreadable(str(rest))


def parse_number(text: str) -> int:
    """Vietnamese cardinal → int. Splits at the last "tỷ" (so "nghìn tỷ" and "tỷ tỷ" work), then
    at "triệu" and "nghìn"; every group after the first must be read in full."""
    words = text.split()
    if words == ["không"]:
        return 0
    return _parse(words, full=False)


def _parse(words: list[str], full: bool) -> int:
    if not words:
        raise Unreadable("empty")
    if "tỷ" in words:
        k = len(words) - 1 - words[::-1].index("tỷ")
        high = _parse(words[:k], full)
        return high * 10**9 + (_parse(words[k + 1 :], True) if words[k + 1 :] else 0)
    total = 0
    for name, scale in SCALES[1:]:
        if name in words:
            k = words.index(name)
            total += parse_below_thousand(words[:k], full) * scale
            words = words[k + 1 :]
            full = True
            if not words:
                return total
    return total + parse_below_thousand(words, full)


@settings(max_examples=600, deadline=None)
@given(st.integers(min_value=0, max_value=10**15))
def test_every_reading_parses_back(n: int) -> None:
    spoken = read_number(n)
    assert not any(ch.isdigit() for ch in spoken)
    assert parse_number(spoken) == n


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**15))
def test_written_with_thousands_separators(n: int) -> None:
    written = f"{n:,}".replace(",", ".")
    spoken = normalize(written)
    assert not any(ch.isdigit() for ch in spoken)
    assert parse_number(spoken) == n


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10**12), st.integers(min_value=1, max_value=10**12))
def test_readings_are_distinct(a: int, b: int) -> None:
    # Different numbers never sound the same.
    if a != b:
        assert read_number(a) != read_number(b)


def test_parser_rejects_wrong_forms() -> None:
    # The checker itself must be able to fail.
    for wrong in ["hai mươi một", "mười năm", "hai nghìn hai mươi lăm", "một trăm năm", "hai mươi bốn lăm"]:
        with pytest.raises((Unreadable, KeyError, ValueError)):
            parse_number(wrong)


@pytest.mark.parametrize(
    ("n", "spoken"),
    [
        (2025, "hai nghìn không trăm hai mươi lăm"),
        (1_000_005, "một triệu không trăm linh năm"),
        (1_000_000_001, "một tỷ không trăm linh một"),
        (1_002_003_004, "một tỷ không trăm linh hai triệu không trăm linh ba nghìn không trăm linh bốn"),
        (10**12 + 5, "một nghìn tỷ không trăm linh năm"),
        (10**15, "một triệu tỷ"),
        (-5, "âm năm"),
    ],
)
def test_read_number(n: int, spoken: str) -> None:
    assert read_number(n) == spoken


def test_linh_and_four_are_parameters() -> None:
    assert read_number(105, linh="lẻ") == "một trăm lẻ năm"
    assert read_number(2005, linh="lẻ") == "hai nghìn không trăm lẻ năm"
    assert read_number(24, four="bốn") == "hai mươi bốn"
    assert read_number(14, four="bốn") == "mười bốn"


def test_small_helpers() -> None:
    assert read_digits("0263") == "không hai sáu ba"
    assert read_decimal("1.234", "05") == "một nghìn hai trăm ba mươi tư phẩy không năm"
    assert read_decimal("3", "14159") == "ba phẩy một bốn một năm chín"
    assert [read_ordinal(i) for i in (1, 2, 4, 14)] == ["nhất", "hai", "tư", "mười bốn"]
    assert [read_month(i) for i in (1, 4, 12)] == ["một", "tư", "mười hai"]
    assert spell("XD2") == "ích xì dê hai"


@pytest.mark.parametrize(
    ("roman", "value"),
    [("I", 1), ("IV", 4), ("IX", 9), ("XI", 11), ("XIII", 13), ("XIV", 14), ("XXI", 21), ("MCMXXX", 1930)],
)
def test_roman(roman: str, value: int) -> None:
    assert roman_to_int(roman) == value


@pytest.mark.parametrize("bad", ["", "IIII", "VX", "IL", "ABC", "xi"])
def test_roman_rejects_malformed(bad: str) -> None:
    assert roman_to_int(bad) is None


PIECES = list("0123456789 .,/-:h%đkmgVXIUBNDHKTQĐ()[]*+x°²") + [
    "ngày ",
    "tháng ",
    "thứ ",
    "số ",
    "gọi ",
    "năm ",
    "Đại hội ",
    "UBND",
    "km/h",
    "giờ ",
    "\n",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=25).map("".join))
def test_no_digit_survives_any_mix_of_numbers_and_codes(text: str) -> None:
    spoken = normalize(text)
    assert not any(ch.isdigit() for ch in spoken), (text, spoken)
    assert spoken.count("\n") == text.count("\n")
