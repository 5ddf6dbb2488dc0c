from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from loa.cli import cli


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


def test_arguments_one_line_each(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["text", "normalize", "Họp lúc 17h30 tại UBND xã", "", "II. NỘI DUNG"])
    assert result.exit_code == 0, result.output
    assert result.output == "Họp lúc mười bảy giờ ba mươi phút tại Ủy ban nhân dân xã\n\nPhần hai. Nội dung\n"


def test_stdin_keeps_empty_lines(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["text", "normalize"], input="Đạt 95%\n\nngày 15/3/2021\n")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Đạt chín mươi lăm phần trăm\n\nngày mười lăm tháng ba năm hai nghìn không trăm hai mươi mốt\n"
    )


def test_utterances_option(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["text", "normalize", "--utterances"], input="THÔNG BÁO\n\nBà con chú ý. Xin cảm ơn.\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "heading\tThông báo",
        "sentence\tBà con chú ý.",
        "paragraph\tXin cảm ơn.",
    ]


def test_lexicon_option(runner: CliRunner, tmp_path: Path) -> None:
    lex = tmp_path / "lex.csv"
    lex.write_text("UBND,u bê\n", encoding="utf-8")
    result = runner.invoke(cli, ["text", "normalize", "--lexicon", str(lex), "UBND xã"])
    assert result.exit_code == 0, result.output
    assert result.output == "u bê xã\n"


def test_lexicon_from_settings(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lex = tmp_path / "lex.toml"
    lex.write_text('[words]\n"HĐND" = "hội đồng"\n', encoding="utf-8")
    monkeypatch.setenv("LOA_LEXICON_PATH", str(lex))
    result = runner.invoke(cli, ["text", "normalize", "HĐND xã"])
    assert result.exit_code == 0, result.output
    assert result.output == "hội đồng xã\n"


def test_bad_lexicon_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    lex = tmp_path / "lex.toml"
    lex.write_text("[words\n", encoding="utf-8")
    result = runner.invoke(cli, ["text", "normalize", "--lexicon", str(lex), "UBND"])
    assert result.exit_code != 0
    assert "cú pháp TOML" in result.output


@pytest.mark.parametrize("args", [["text", "normalize"], ["text", "normalize", "--utterances"]])
def test_empty_input_is_an_error(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(cli, args, input="  \n")
    assert result.exit_code != 0
    assert "Văn bản trống" in result.output


def test_only_emoji_with_utterances_is_an_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["text", "normalize", "--utterances", "🎉🎉"])
    assert result.exit_code != 0
    assert "Văn bản trống" in result.output


def test_help(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["text", "normalize", "--help"])
    assert result.exit_code == 0
    assert "--lexicon" in result.output and "--utterances" in result.output
