"""``python -m tests.pg_probe URL``: exit 0 if a PostgreSQL server answers at URL, else print why and
exit 1. scripts/test.sh uses it to decide whether the suite's PostgreSQL run can happen here."""

from __future__ import annotations

import sys


def probe(url: str) -> str | None:
    """None when the server answers and lets us create databases, else the reason it does not."""
    try:
        import psycopg
        from sqlalchemy import make_url
    except ImportError as exc:
        return f"psycopg is not installed ({exc}); pip install '.[postgres]'"
    u = make_url(url)
    if u.get_backend_name() != "postgresql":
        return f"{url} is not a PostgreSQL URL"
    try:
        with psycopg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
                             password=u.password, dbname=u.database or "postgres", connect_timeout=3) as conn:
            row = conn.execute("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    except psycopg.Error as exc:
        return f"no PostgreSQL server answers at {u.render_as_string(hide_password=True)}: {str(exc).strip()}"
    if not row or not row[0]:
        return f"user {u.username} may not create databases on {u.host}"
    return None


if __name__ == "__main__":
    reason = probe(sys.argv[1])
    if reason:
        print(reason)
    sys.exit(1 if reason else 0)
