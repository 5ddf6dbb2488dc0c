"""Every ``loa`` command speaks Vietnamese first: help, Click's own errors (issue 7, item 29)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def loa(*args: str, lang: str | None = None, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOA_DATA_DIR": str(tmp)}
    env.pop("LOA_LANG", None)
    if lang:
        env["LOA_LANG"] = lang
    return subprocess.run(
        [sys.executable, "-m", "loa", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_help_is_vietnamese(tmp_path: Path) -> None:
    r = loa("--help", tmp=tmp_path)
    assert r.returncode == 0
    assert "Cách dùng:" in r.stdout and "Tùy chọn" in r.stdout and "Lệnh" in r.stdout
    assert "đài truyền thanh cơ sở" in r.stdout and "Hiện hướng dẫn này" in r.stdout
    assert "Usage:" not in r.stdout
    for sub in (["report", "--help"], ["render", "--help"], ["audio", "--help"]):
        out = loa(*sub, tmp=tmp_path)
        assert out.returncode == 0 and "Cách dùng:" in out.stdout, sub


def test_errors_are_vietnamese_without_a_bare_error_prefix(tmp_path: Path) -> None:
    r = loa("nosuch", tmp=tmp_path)
    assert r.returncode == 2
    assert "Lỗi:" in r.stderr and "Không có lệnh 'nosuch'" in r.stderr and "Error:" not in r.stderr
    missing = loa("report", "asrun", "--to", "2026-12-01", tmp=tmp_path)
    assert missing.returncode == 2
    assert "Thiếu tùy chọn / missing option '--from'" in missing.stderr and "Error:" not in missing.stderr


def test_lang_en_keeps_click_english(tmp_path: Path) -> None:
    r = loa("nosuch", lang="en", tmp=tmp_path)
    assert "Error: No such command 'nosuch'" in r.stderr
