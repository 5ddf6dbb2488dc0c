"""WSGI entry point for servers that import the app by name (``web.wsgi:create``).

Settings come from the environment and the TOML file, as for every ``loa`` command.
"""

from __future__ import annotations

from flask import Flask

from web.app import create_app


def create() -> Flask:
    return create_app()
