"""The browser tests' shared fixtures: the app served on a loopback port with real background jobs
and the district's sample stations (``site``), and Debian's Chromium driven by Playwright
(``browser``). Each module says what its site needs in ``SITE`` (a :class:`SiteSpec`)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from werkzeug.serving import make_server

from broadcast import security, stations
from broadcast.db import session_scope
from broadcast.models import Role, Station, User
from loa import config
from web.app import create_app
from web.jobs import ThreadJobQueue

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
STATIONS_CSV = ROOT / "media" / "samples" / "stations-duc-trong.csv"


@dataclass(frozen=True)
class SiteSpec:
    """What a module's served app needs: who can log in (one user per role, this password), the
    settings beyond the defaults, the stations list (the sample, maybe rewritten) and whether each
    station gets an agent token."""

    password: str
    roles: tuple[str, ...]
    name: str = "browser"
    workers: int = 2
    settings: dict[str, Any] = field(default_factory=dict)
    stations_csv: Callable[[str], str] = str
    agent_tokens: bool = False


@dataclass
class Site:
    url: str
    app: Any
    settings: config.Settings
    #: Each station's agent token, when the module asked for them.
    tokens: dict[str, str]

    def session(self):  # type: ignore[no-untyped-def]
        return session_scope(self.app.extensions["loa_sessions"])


def _seed(app: Any, spec: SiteSpec) -> dict[str, str]:
    with session_scope(app.extensions["loa_sessions"]) as s:
        text = spec.stations_csv(STATIONS_CSV.read_text("utf-8"))
        stations.import_stations(s, stations.parse_stations_csv(text), group="Huyện Đức Trọng")
        for role in spec.roles:
            s.add(User(username=role, full_name=f"Cán bộ {role}", role=Role(role),
                       password_hash=security.hash_password(spec.password)))
        if not spec.agent_tokens:
            return {}
        s.flush()
        return {st.code: stations.issue_agent_token(s, st, "admin") for st in s.scalars(select(Station))}


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    spec: SiteSpec = request.module.SITE
    # argon2 is slow on purpose; light parameters keep the logins quick (same code path).
    mp = pytest.MonkeyPatch()
    mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    data = tmp_path_factory.mktemp(spec.name) / "loa-data"
    # Module-scoped: set up before conftest turns the clarity check off per test, so off here too.
    settings = config.load(data_dir=data, engine_order=("espeak",), secret_key=f"{spec.name}-test",
                           clarity_check=False, **spec.settings)  # fmt: skip
    jobs = ThreadJobQueue(workers=spec.workers)
    app = create_app(settings, jobs=jobs)
    tokens = _seed(app, spec)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_port}", app, settings, tokens)
    finally:
        server.shutdown()
        jobs.shutdown()
        mp.undo()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium) "
                    "to run the browser tests.")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()
