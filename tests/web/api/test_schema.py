"""Schemathesis against web/openapi.py, in process (the WSGI app): the document says what the server
does, and no generated input (valid or not) gets a 500. Bounded: ``MAX_EXAMPLES`` per operation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from broadcast import stations
from broadcast.db import session_factory, session_scope
from broadcast.models import Playlist, Role, User
from broadcast.security import hash_password, hash_token
from loa import config
from web.app import create_app
from web.jobs import InlineJobQueue
from web.openapi import openapi_document

from .conftest import CSV, DAY, manifest

MAX_EXAMPLES = 25
# Every check runs (no 500, status codes, content types, response schemas and headers, 405 with
# Allow, bad data refused) except positive_data_acceptance: some rules cannot be written in JSON
# Schema (an end not before its start, valid_to not before valid_from, a script's text rules, a lone
# surrogate inside an otherwise valid string), so schema-valid data may rightly get a 400.
USER_TOKEN = "schema-user-token-" + "s" * 20


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, str]]:
    tmp: Path = tmp_path_factory.mktemp("schema")
    # An event stream ends after LOA_EVENTS_STREAM_S: short here, so no example waits on it.
    env = {"LOA_DATA_DIR": str(tmp / "data"), "LOA_EVENTS_STREAM_S": "0.2", "LOA_EVENTS_KEEPALIVE_S": "0.1"}
    app = create_app(config.load(env=env), jobs=InlineJobQueue())
    app.config["TESTING"] = True
    with session_scope(session_factory(app.extensions["loa_engine"])) as s:
        stations.import_stations(s, stations.parse_stations_csv(CSV.read_text("utf-8")))
        station = stations.get_station(s, "hiep-an")
        token = stations.issue_agent_token(s, station)
        s.add(Playlist(station=station, date=DAY, version=1, manifest=manifest("hiep-an"), etag="e1"))
        s.add(User(username="schema", password_hash=hash_password("mat-khau-dai"), role=Role.ADMIN,
                   api_token_hash=hash_token(USER_TOKEN)))  # fmt: skip
    yield app, token


def _operations() -> list[str]:
    return [f"{m.upper()} {p}" for p, ops in openapi_document()["paths"].items() for m in ops]


@pytest.mark.parametrize("label", _operations())
def test_the_api_does_what_its_openapi_document_says(api: tuple[object, str], label: str) -> None:
    app, station_token = api
    method, path = label.split(" ", 1)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path][method]
    agent_route = path in ("/api/v1/asrun", "/api/v1/heartbeat") or "/playlists/" in path or "/events" in path
    headers = {"Authorization": f"Bearer {station_token if agent_route else USER_TOKEN}"}

    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    run()
