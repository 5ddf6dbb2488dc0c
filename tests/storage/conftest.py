"""An S3 server on loopback (moto's standalone server: it answers as S3 does, errors included) and a
live ``loa serve``-like app storing media there. No real S3 is reached."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from broadcast import stations
from broadcast.db import session_factory, session_scope
from loa import config
from web.app import create_app
from web.jobs import InlineJobQueue

CSV = Path(__file__).resolve().parents[2] / "media" / "samples" / "stations-duc-trong.csv"
BUCKET = "loa-media"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh bucket; credentials given through boto3's own environment variables (as in production)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret")
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    yield BUCKET
    for obj in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=obj["Key"])
    s3.delete_bucket(Bucket=BUCKET)


@dataclass
class Live:
    app: Flask
    url: str
    settings: config.Settings
    token: str


def live_app(settings: config.Settings) -> tuple[Flask, str, BaseWSGIServer]:
    app = create_app(settings, jobs=InlineJobQueue())
    with session_scope(session_factory(app.extensions["loa_engine"])) as s:
        stations.import_stations(s, stations.parse_stations_csv(CSV.read_text("utf-8")))
        token = stations.issue_agent_token(s, stations.get_station(s, "hiep-an"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return app, token, server


def s3_settings(tmp: Path, endpoint: str, **extra: object) -> config.Settings:
    env = {"LOA_DATA_DIR": str(tmp / "data"), "LOA_MEDIA_URL": f"s3://{BUCKET}/district",
           "LOA_S3_ENDPOINT_URL": endpoint, "LOA_S3_TIMEOUT_S": "2", "LOA_ENGINE_ORDER": "espeak"}
    return config.load(env=env, **extra)


@pytest.fixture
def live(tmp_path: Path, bucket: str, moto_url: str) -> Iterator[Live]:
    settings = s3_settings(tmp_path, moto_url)
    app, token, server = live_app(settings)
    yield Live(app, f"http://127.0.0.1:{server.server_port}", settings, token)
    server.shutdown()
