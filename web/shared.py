"""What several ``loa serve`` processes share through Redis when it is configured.

Everything else a request needs lives in the database (users, their session epoch, jobs' rows) or
in Redis through a library (login limits: Flask-Limiter; job statuses: RQ). The panel's sessions
are signed cookies holding the user id and session epoch, checked against the database on every
request, so they work on any process that has the same secret key: this module keeps that key.
"""

from __future__ import annotations

import secrets

SECRET_KEY = "loa:secret_key"


def redis_secret_key(url: str) -> str:
    """The panel's secret key, made once by whichever process asks first (SET NX: no race)."""
    from broadcast.jobs import redis_connection

    conn = redis_connection(url)
    try:
        conn.set(SECRET_KEY, secrets.token_hex(32), nx=True)
        value = conn.get(SECRET_KEY)
    finally:
        conn.close()
    return value.decode() if isinstance(value, bytes) else str(value)
