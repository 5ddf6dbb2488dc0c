"""Vietnamese readings of numbers: cardinals, decimals, digit strings, ordinals, months, Roman numerals.

Written by hand because the libraries get the spoken rules wrong (num2words reads 2025 without
"không trăm"). The rules an announcer follows:

* 1 after "mươi" is "mốt" (21 hai mươi mốt), but "một" after "mười" (11 mười một);
* 5 after "mười"/"mươi" is "lăm" (15 mười lăm, 25 hai mươi lăm), but "năm" after "linh" (105);
* 4 after "mươi" is "tư" (24 hai mươi tư) by default, never after "mười" (14 mười bốn);
* a zero tens digit after hundreds is "linh" (or "lẻ"): 105 một trăm linh năm;
* a group of three digits that is not the leading one is read in full: 2025 hai nghìn không trăm
  hai mươi lăm, 1.050.000 một triệu không trăm năm mươi nghìn; all-zero groups are skipped;
* scales are nghìn, triệu, tỷ, then nghìn tỷ, triệu tỷ, tỷ tỷ.
"""

from __future__ import annotations

import re

DIGITS: tuple[str, ...] = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")

#: What stands for a zero tens digit after hundreds. "linh" is the northern and broadcast norm.
DEFAULT_LINH = "linh"
#: How 4 after "mươi" is read. "tư" is what announcers say; "bốn" is also correct.
DEFAULT_FOUR = "tư"

_BILLION = 10**9


def _below_thousand(n: int, full: bool, linh: str, four: str) -> list[str]:
    """0 < n < 1000. ``full``: the group follows a higher one, so its hundreds are always said."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if hundreds or full:
                words.append(linh)
            words.append(DIGITS[units])
    elif tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else DIGITS[units])
    else:
        words += [DIGITS[tens], "mươi"]
        if units == 1:
            words.append("mốt")
        elif units == 4:
            words.append(four)
        elif units == 5:
            words.append("lăm")
        elif units:
            words.append(DIGITS[units])
    return words


def _words(n: int, full: bool, linh: str, four: str) -> list[str]:
    if n >= _BILLION:
        high, low = divmod(n, _BILLION)
        words = _words(high, full, linh, four) + ["tỷ"]
        if low:
            words += _words(low, True, linh, four)
        return words
    millions, rest = divmod(n, 1_000_000)
    thousands, units = divmod(rest, 1000)
    words = []
    if millions:
        words += _below_thousand(millions, full, linh, four) + ["triệu"]
        full = True
    if thousands:
        words += _below_thousand(thousands, full, linh, four) + ["nghìn"]
        full = True
    if units:
        words += _below_thousand(units, full, linh, four)
    return words


def read_number(n: int, linh: str = DEFAULT_LINH, four: str = DEFAULT_FOUR) -> str:
    """Cardinal reading of a non-negative integer of any size."""
    if n < 0:
        return "âm " + read_number(-n, linh, four)
    if n == 0:
        return DIGITS[0]
    return " ".join(_words(n, False, linh, four))


def read_digits(digits: str) -> str:
    """Digit by digit, as for phone numbers and codes: "0263" → "không hai sáu ba"."""
    return " ".join(DIGITS[int(d)] for d in digits if d.isdigit())


def read_integer_string(digits: str) -> str:
    """A written integer. Short numbers with a leading zero are read by value (08 → tám);
    longer ones (0123) are codes and read digit by digit."""
    if len(digits) > 2 and digits.startswith("0"):
        return read_digits(digits)
    return read_number(int(digits))


def read_fraction_digits(frac: str) -> str:
    """The part after "phẩy": leading zeros one by one, then up to three digits as a number
    (12,5 → năm; 0,05 → không năm; 3,125 → một trăm hai mươi lăm), longer runs digit by digit."""
    zeros = len(frac) - len(frac.lstrip("0"))
    rest = frac[zeros:]
    words = [DIGITS[0]] * zeros
    if rest:
        words.append(read_number(int(rest)) if len(rest) <= 3 else read_digits(rest))
    return " ".join(words)


def read_decimal(integer: str, fraction: str) -> str:
    """Integer and fraction digits → "mười hai phẩy năm"; the integer may hold "." separators."""
    whole = read_number(int(integer.replace(".", "") or "0"))
    return f"{whole} phẩy {read_fraction_digits(fraction)}"


def read_ordinal(n: int) -> str:
    """The word after "thứ": 1 nhất, 4 tư, otherwise the cardinal (thứ hai, thứ mười bốn)."""
    if n == 1:
        return "nhất"
    if n == 4:
        return "tư"
    return read_number(n)


def read_month(n: int) -> str:
    """The word after "tháng": tháng tư for April, otherwise the cardinal."""
    return "tư" if n == 4 else read_number(n)


_ROMAN_RE = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def roman_to_int(s: str) -> int | None:
    """Value of a well-formed upper-case Roman numeral, else None ("IIII", "VX", "" → None)."""
    if not s or not _ROMAN_RE.fullmatch(s):
        return None
    total = 0
    for i, ch in enumerate(s):
        value = _ROMAN_VALUES[ch]
        if i + 1 < len(s) and _ROMAN_VALUES[s[i + 1]] > value:
            total -= value
        else:
            total += value
    return total


#: Vietnamese names of Latin letters, for spelling an unknown code aloud.
LETTER_NAMES: dict[str, str] = {
    "A": "a", "Ă": "á", "Â": "ớ", "B": "bê", "C": "xê", "D": "dê", "Đ": "đê", "E": "e", "Ê": "ê",
    "F": "ép", "G": "giê", "H": "hát", "I": "i", "J": "giây", "K": "ca", "L": "e lờ", "M": "em mờ",
    "N": "en nờ", "O": "o", "Ô": "ô", "Ơ": "ơ", "P": "pê", "Q": "quy", "R": "e rờ", "S": "ét xì",
    "T": "tê", "U": "u", "Ư": "ư", "V": "vê", "W": "vê kép", "X": "ích xì", "Y": "i dài", "Z": "dét",
}  # fmt: skip


def spell(code: str) -> str:
    """Letter by letter, digits by value: "XD2" → "ích xì dê hai"."""
    words: list[str] = []
    for ch in code:
        if ch.isdigit():
            words.append(DIGITS[int(ch)])
        elif ch.upper() in LETTER_NAMES:
            words.append(LETTER_NAMES[ch.upper()])
    return " ".join(words)
