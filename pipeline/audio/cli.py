"""Commands of this package for the ``loa`` CLI (see loa/cli.py)."""

from __future__ import annotations

import click

commands: list[click.Command] = []
