"""The agent's only link to the server: plain HTTP per notes/contracts.md (no database access here).

Two layouts: ``api`` (the panel's JSON API) and ``folder`` (any static web server holding
``<root>/<CODE>/<YYYY-MM-DD>.json`` and the media next to it). A folder has nowhere to post
as-run rows or heartbeats; they go to ``report_server`` if one is given, else stay in the local log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote, urljoin

import requests

log = logging.getLogger(__name__)

LAYOUTS = ("api", "folder")


class UploadRejected(RuntimeError):
    """The server refused the rows as invalid (HTTP 400) or too large (413): resending the same
    batch cannot help; the agent splits it to find the bad row."""


class AuthRejected(RuntimeError):
    """The station token was refused (HTTP 401/403)."""


class EventsUnavailable(RuntimeError):
    """The server offers no event stream now (404 on an older server, 503 when it is full)."""


#: Seconds without a byte on the event stream before it counts as dead (the server sends a
#: keep-alive comment every 15 s by default).
EVENTS_READ_TIMEOUT_S = 45.0


@dataclass(frozen=True)
class ManifestResponse:
    status: str  # "new" | "unchanged" | "missing"
    url: str
    body: bytes = b""
    etag: str | None = None


def _root(url: str) -> str:
    return url if url.endswith("/") else url + "/"


class ServerClient:
    def __init__(
        self,
        server: str,
        station: str,
        token: str,
        *,
        layout: str = "api",
        report_server: str | None = None,
        http: requests.Session | None = None,
        timeout: float = 20.0,
    ) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}")
        self.server = _root(server)
        self.station = station
        self.token = token
        self.layout = layout
        if report_server is None and layout == "api":
            report_server = server
        self.report_server = _root(report_server) if report_server else None
        self.http = http or requests.Session()
        self.timeout = timeout

    def manifest_url(self, day: date) -> str:
        code = quote(self.station, safe="")
        if self.layout == "folder":
            return urljoin(self.server, f"{code}/{day.isoformat()}.json")
        return urljoin(self.server, f"api/v1/stations/{code}/playlists/{day.isoformat()}")

    def get_manifest(self, day: date, etag: str | None) -> ManifestResponse:
        """Conditional GET; raises ``requests.RequestException`` when the server cannot be reached."""
        url = self.manifest_url(day)
        headers = {"If-None-Match": etag} if etag else {}
        if self.layout == "api" and self.token:  # a folder's web server is not told the token
            headers["Authorization"] = f"Bearer {self.token}"
        resp = self._request("GET", url, headers=headers)
        if resp.status_code == 304:
            return ManifestResponse("unchanged", url, etag=etag)
        if resp.status_code == 404:
            return ManifestResponse("missing", url)
        resp.raise_for_status()
        return ManifestResponse("new", url, resp.content, resp.headers.get("ETag"))

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One request; a connection error is retried once on a fresh connection before it counts.

        A kept-alive connection the server (or a NAT box) closed while idle fails on first use;
        that says nothing about the server, so the pool is dropped and the request sent again.
        Timeouts are not retried: a slow server stays slow. Every route is idempotent (GETs, and
        as-run uploads dedup by uid), so sending twice is harmless.
        """
        try:
            return self.http.request(method, url, timeout=self.timeout, **kwargs)
        except requests.ConnectionError as exc:
            if isinstance(exc, requests.Timeout):
                raise
            log.info("kết nối tới máy chủ bị đóng (%s); thử lại trên kết nối mới", exc)
            self.http.close()  # drop every pooled keep-alive connection
            return self.http.request(method, url, timeout=self.timeout, **kwargs)

    def events(self) -> Iterator[tuple[str, str]]:
        """The station's server-sent events as (event, data), until the server ends the stream;
        raises ``requests.RequestException`` when the connection fails or falls silent."""
        import sseclient

        url = urljoin(self.server, f"api/v1/stations/{quote(self.station, safe='')}/events")
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"}
        # Its own connection, not the pool's: a stream held open must not block a manifest poll.
        with requests.get(url, headers=headers, stream=True,
                          timeout=(self.timeout, EVENTS_READ_TIMEOUT_S)) as resp:  # fmt: skip
            if resp.status_code in (401, 403):
                raise AuthRejected(f"máy chủ từ chối mã truy cập của đài {self.station} (HTTP {resp.status_code})")
            if resp.status_code in (404, 405, 501, 503):
                raise EventsUnavailable(f"HTTP {resp.status_code}")
            resp.raise_for_status()
            for event in sseclient.SSEClient(resp.iter_content(chunk_size=None)).events():
                yield event.event, event.data

    @property
    def can_report(self) -> bool:
        return self.report_server is not None

    def _post(self, route: str, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.report_server is not None
        resp = self._request(
            "POST",
            urljoin(self.report_server, route),
            json=payload,
            headers={"Authorization": f"Bearer {self.token}"},
        )
        if resp.status_code in (401, 403):
            raise AuthRejected(
                f"máy chủ từ chối mã truy cập của đài {self.station} (HTTP {resp.status_code})"
            )
        if resp.status_code in (400, 413):  # 413: too big a batch, split like a bad one
            raise UploadRejected(resp.text[:500])
        resp.raise_for_status()
        body = resp.json()
        return body if isinstance(body, dict) else {}

    def post_asrun(self, rows: list[dict[str, Any]]) -> tuple[int, int]:
        body = self._post("api/v1/asrun", {"station": self.station, "rows": rows})
        return int(body.get("accepted", 0)), int(body.get("duplicates", 0))

    def heartbeat(self, info: dict[str, Any]) -> dict[str, Any]:
        return self._post("api/v1/heartbeat", {"station": self.station, **info})
