"""Two panel instances sharing Redis and a database, as two `loa serve` processes on two machines
(each with its own data folder): a login made on one is valid on the other (the secret key is
shared through Redis), and failed logins count against one limit wherever they land (Flask-Limiter
stores its counters in Redis)."""

from __future__ import annotations

from pathlib import Path

from redis import Redis

from loa import config
from tests.web.panel_support import PASSWORD, make_panel, post
from web.app import create_app
from web.jobs import InlineJobQueue


def _second(data_dir: Path, db_url: str, redis_url: str) -> object:
    """Another server on the same database (SQLite file or, on the PostgreSQL run, the test's own)."""
    settings = config.load(data_dir=data_dir, database_url=db_url, redis_url=redis_url,
                           engine_order=("espeak",))
    app = create_app(settings)  # with redis_url: renders go on Redis
    app.config["TESTING"] = True
    return app


def test_logins_and_login_limits_work_across_two_instances(tmp_path: Path, redis_url: str) -> None:
    a = make_panel(tmp_path / "a", secret_key="", redis_url=redis_url)
    b = _second(tmp_path / "b", a.settings.db_url, redis_url)
    assert a.app.secret_key == b.secret_key  # type: ignore[attr-defined]
    assert not (tmp_path / "a" / "secret_key").exists()

    # A session made on A is a session on B.
    ca, cb = a.app.test_client(), b.test_client()  # type: ignore[attr-defined]
    assert post(ca, "/login", {"username": "editor", "password": PASSWORD}).status_code == 302
    cb.set_cookie("loa_session", ca.get_cookie("loa_session").value)
    r = cb.get("/bulletins/")
    assert r.status_code == 200 and "editor" in r.get_data(as_text=True)

    # Five failed logins for one name, spread over both, use up its limit on both.
    fa, fb = a.app.test_client(), b.test_client()  # type: ignore[attr-defined]
    for client in (fa, fb, fa, fb, fa):
        assert post(client, "/login", {"username": "admin", "password": "sai"}).status_code == 401
    assert post(fb, "/login", {"username": "admin", "password": PASSWORD}).status_code == 429
    assert Redis.from_url(redis_url).keys("*loa-limits*"), "the counters live in Redis, not in a process"

    # Without Redis, an instance with its own data folder has its own key: A's login means nothing there.
    alone = create_app(config.load(data_dir=tmp_path / "c", database_url=f"sqlite:///{tmp_path / 'a' / 'loa.db'}",
                                   engine_order=("espeak",)), jobs=InlineJobQueue())
    cc = alone.test_client()
    cc.set_cookie("loa_session", ca.get_cookie("loa_session").value)
    assert cc.get("/bulletins/").status_code == 302


def test_a_preview_queued_on_one_server_shows_its_progress_on_the_other(tmp_path: Path, redis_url: str) -> None:
    import subprocess
    import sys

    from broadcast.jobs import RedisJobQueue
    from tests.scale.conftest import ROOT
    from tests.scale.helpers import process_env

    a = make_panel(tmp_path / "a", secret_key="", redis_url=redis_url)
    a.app.extensions["loa_jobs"] = RedisJobQueue(a.settings)  # make_panel's is in-process
    b = _second(tmp_path / "b", a.settings.db_url, redis_url)
    assert isinstance(b.extensions["loa_jobs"], RedisJobQueue)  # type: ignore[attr-defined]
    bid = a.bulletin("draft")
    editor = a.client("editor")
    r = post(editor, f"/bulletins/{bid}/preview")
    assert r.status_code == 202, r.get_data(as_text=True)
    status_url = r.get_json()["status_url"]
    other = b.test_client()  # type: ignore[attr-defined]
    other.set_cookie("loa_session", editor.get_cookie("loa_session").value)
    waiting = other.get(status_url)
    assert waiting.get_json()["state"] == "queued", waiting.get_data(as_text=True)  # no worker yet: it waits in Redis

    worker = subprocess.run([sys.executable, "-m", "loa", "worker", "--burst"], cwd=ROOT, timeout=120,
                            env=process_env(tmp_path / "a", redis_url, a.settings.db_url), capture_output=True, text=True)
    assert worker.returncode == 0, worker.stderr[-2000:]
    done = other.get(status_url).get_json()
    assert done["state"] == "done" and done["progress"] == 1.0 and done["audio_url"].endswith(done["sha256"]), done
    assert other.get("/bulletins/jobs/" + "0" * 32).status_code == 404
