"""A plain install runs the commands: build a wheel, install it into a fresh venv (no -e, no source
tree on the path) and run ``loa demo --no-serve`` from it. Dependencies come from the test's own
environment (its site-packages appended to the new venv's path), so this works offline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_loa_demo_runs_from_a_wheel(tmp_path: Path) -> None:
    dist, src = tmp_path / "dist", tmp_path / "src"  # built from a copy: the tree gets no build/ folder
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".venv", ".git", "tests", "build", "dist", "*.egg-info", "loa-data", "__pycache__", ".*_cache", "test-artifacts"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(dist), str(src)], check=True, cwd=tmp_path, timeout=600)
    wheel = next(dist.glob("loa-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "media/samples/stations-duc-trong.csv" in names and "media/jingles/station-id.ogg" in names

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    new_site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              check=True, capture_output=True, text=True).stdout.strip()
    # The test environment's packages, after the new venv's own (its .pth files, e.g. an editable
    # install of this tree, are not processed from a plain path entry).
    Path(new_site, "zz_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q", str(wheel)],
                   check=True, timeout=600)

    env = {**os.environ, "LOA_DATA_DIR": str(tmp_path / "data"), "LOA_ENGINE_ORDER": "espeak",
           "PYTHONPATH": ""}
    where = subprocess.run([str(py), "-c", "import media, loa; print(media.__file__, loa.__file__)"],
                           check=True, capture_output=True, text=True, cwd=tmp_path, env=env).stdout
    assert str(ROOT) not in where and str(src) not in where and new_site in where
    res = subprocess.run([str(env_dir / "bin" / "loa"), "demo", "--no-serve"], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "danh sách phát cho ngày mai" in res.stdout + res.stderr
    assert list((tmp_path / "data" / "media").glob("??/*.mp3"))
