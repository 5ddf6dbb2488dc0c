"""The word alignment behind the clarity score."""

from __future__ import annotations

import pytest

from pipeline.clarity import compare, score_transcript, words


@pytest.mark.parametrize(
    ("reference", "hypothesis", "hits", "subs", "dels", "ins", "missed", "wer"),
    [
        ("cắt điện thôn hai", "cắt điện thôn hai", 4, 0, 0, 0, (), 0.0),
        ("Cắt điện, thôn Hai!", "cắt điện thôn hai", 4, 0, 0, 0, (), 0.0),  # case, punctuation
        ("cắt điện thôn hai", "cắt điện thôn", 3, 0, 1, 0, ("hai",), 0.25),  # deletion
        ("cắt điện thôn hai", "cắt điện ở thôn hai", 4, 0, 0, 1, (), 0.25),  # insertion
        ("cắt điện thôn hai", "cắt điện thông hai", 3, 1, 0, 0, ("thôn",), 0.25),  # substitution
        ("cắt điện thôn hai", "", 0, 0, 4, 0, ("cắt", "điện", "thôn", "hai"), 1.0),
        ("tiêm chủng", "a b c d e f", 0, 2, 0, 4, ("tiêm", "chủng"), 3.0),  # WER above 1
        ("", "", 0, 0, 0, 0, (), 0.0),  # empty reference, nothing heard
        ("", "có tiếng", 0, 0, 0, 2, (), 1.0),  # empty reference, words heard
    ],
)
def test_alignment_table(reference: str, hypothesis: str, hits: int, subs: int, dels: int, ins: int,
                         missed: tuple[str, ...], wer: float) -> None:
    al = compare(reference, hypothesis)
    assert (al.hits, al.substitutions, al.deletions, al.insertions) == (hits, subs, dels, ins)
    assert al.missed == missed
    assert al.wer == pytest.approx(wer)
    assert 0.0 <= al.score <= 1.0 and al.score == pytest.approx(max(0.0, 1.0 - wer))


def test_words_normalize_unicode_forms() -> None:
    # "hoà" typed with a combining grave accent (NFD) is the same word as the precomposed one.
    assert words("Hoa\u0300 bình.") == words("hoà bình") == ["hoà", "bình"]


@pytest.mark.parametrize(
    ("reference", "hypothesis"),
    [
        ("một hai ba bốn năm sáu bảy", "một ba bốn bốn năm sau bảy tám"),
        ("thông báo lịch cắt điện", "thông báo lịch cắt"),
        ("a b c", "x a b c y z"),
    ],
)
def test_agrees_with_jiwer(reference: str, hypothesis: str) -> None:
    jiwer = pytest.importorskip("jiwer")
    assert compare(reference, hypothesis).wer == pytest.approx(jiwer.wer(reference, hypothesis))


def test_score_uses_spoken_form_of_the_script() -> None:
    # The normalizer reads "7h00" and "28/11" aloud; a recognizer hears words, not digits.
    heard = "từ bảy giờ ngày hai mươi tám tháng mười một"
    report = score_transcript(heard, "Từ 7h00 ngày 28/11")
    assert report.score == 1.0 and report.missed == ()
    assert compare("Từ 7h00 ngày 28/11", heard).score < 0.5  # the raw script would not match


def test_recording_has_transcript_only() -> None:
    report = score_transcript("xin chào bà con", None)
    assert report.score is None and report.wer is None and report.transcript == "xin chào bà con"


def test_long_audio_is_cut_into_windows_at_quiet_points() -> None:
    import numpy as np

    from pipeline.clarity import recognizer

    rate = recognizer.SAMPLE_RATE
    rng = np.random.default_rng(1)
    audio = (rng.standard_normal(75 * rate) * 8000).astype(np.int16)
    audio[int(26.0 * rate):int(26.3 * rate)] = 0  # a pause inside the first cut search range
    spans = recognizer.windows(len(audio), audio)
    assert spans[0][0] == 0 and spans[-1][1] == len(audio)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))  # contiguous
    assert all(end - start <= recognizer.WINDOW_S * rate for start, end in spans)
    assert 26.0 * rate <= spans[0][1] <= 26.3 * rate  # cut in the pause, not mid-word
    assert recognizer.windows(10 * rate, audio) == [(0, 10 * rate)]
    assert recognizer.windows(0, audio[:0]) == []
