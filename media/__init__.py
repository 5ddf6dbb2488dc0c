"""Assets the commands need at run time, shipped inside the installed package: the sample
scripts and station list (``samples/``) that ``loa demo`` loads, and the jingles (``jingles/``).
Read them through :func:`assets_dir`, which works from a source tree, an editable install and a
wheel alike."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def assets_dir() -> Path:
    """The folder holding ``samples/`` and ``jingles/`` (a real folder: the package is not zipped)."""
    return Path(str(files(__name__)))
