"""The OpenAPI 3.1 description of /api/v1, written out by hand so it says exactly what the contract is."""

from __future__ import annotations

from typing import Any

from broadcast.asrun import CAUSES
from broadcast.manifest import MANIFEST_SCHEMA

_ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Invalid input (bad JSON, JSON nested over 32 levels or holding a lone surrogate, a bad field)",
        401: "Missing or wrong token",
        403: "Not allowed",
        404: "Not found",
        409: "Not in a state that allows it (e.g. editing an approved bulletin)",
        413: "Body larger than api_max_body_bytes (1 MiB by default)",
    }
    return {str(c): _json(_ERROR, text[c]) for c in codes}


#: Every route answers another method with 405 and an ``Allow`` header naming the methods it takes.
_405 = {
    "405": {
        "description": "Method not allowed",
        "headers": {"Allow": {"required": True, "schema": {"type": "string"}}},
        "content": {"application/json": {"schema": _ERROR}},
    }
}


_INBOX_ENTRY = {
    "type": "object",
    "required": ["bulletin", "title", "priority", "unit", "state"],
    "properties": {
        "bulletin": {"type": "integer"},
        "title": {"type": "string"},
        "priority": {"enum": ["normal", "priority", "emergency"]},
        "sender": {"type": "string"},
        "unit": {"type": "string"},
        "state": {"enum": ["waiting", "accepted", "declined", "auto", "scheduled", "forced"]},
        "position": {"enum": ["before", "after"]},
        "actor": {"type": "string"},
        "at": {"type": ["string", "null"]},
        "reason": {"type": "string"},
        "stations": {"type": "array", "items": {"type": "string"}},
    },
}

_CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
#: The CAP 1.2 <alert> (the OASIS schema, its top-level elements; <info> and <area> as the standard
#: defines them). Refused with a 400: another namespace, a DTD or entity declaration, malformed XML.
_CAP_ALERT = {
    "type": "object",
    "xml": {"name": "alert", "namespace": _CAP_NS},
    "required": ["identifier", "sender", "sent", "status", "msgType", "scope"],
    "properties": {
        "identifier": {"type": "string"},
        "sender": {"type": "string"},
        "sent": {"type": "string", "format": "date-time"},
        "status": {"enum": ["Actual", "Exercise", "System", "Test", "Draft"]},
        "msgType": {"enum": ["Alert", "Update", "Cancel", "Ack", "Error"]},
        "scope": {"enum": ["Public", "Restricted", "Private"]},
        "references": {"type": "string"},
    },
}
_CAP_OUTCOME = {
    "type": "object",
    "required": ["alert", "bulletin", "msg_type", "action", "status", "needs_targeting"],
    "properties": {
        "alert": {"type": "integer"},
        "bulletin": {"type": ["integer", "null"]},
        "msg_type": {"enum": ["Alert", "Update", "Cancel"]},
        "action": {"enum": ["created", "updated", "cancelled", "duplicate"]},
        "status": {"type": "string"},
        "needs_targeting": {"type": "boolean"},
        "auto_approved": {"type": "boolean"},
        "language": {"type": "string"},
        "language_fallback": {"type": "boolean"},
        "units": {"type": "array", "items": {"type": "string"}},
        "unmatched": {"type": "array", "items": {"type": "string"}},
        "stations": {"type": "array", "items": {"type": "string"}},
    },
}

_STR: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer"}
_DATE: dict[str, Any] = {"type": "string", "format": "date"}
_BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def _object(properties: dict[str, Any], *, required: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object"}
    if required:
        out["required"] = required
    out["properties"] = properties
    return out


def _in_path(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _header(name: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "schema": _STR}


def _op(summary: str, responses: dict[str, Any], *errors: int, parameters: list[dict[str, Any]] | None = None,
        body: dict[str, Any] | None = None, secured: bool = True) -> dict[str, Any]:
    """One operation: its answers, the error answers it may give, and every route's 405."""
    out: dict[str, Any] = {"summary": summary}
    if secured:
        out["security"] = _BEARER
    if parameters:
        out["parameters"] = parameters
    if body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    out["responses"] = {**responses, **_errors(*errors), **_405}
    return out


#: The bulletin fields POST /api/v1/bulletins takes and PATCH /api/v1/bulletins/{bulletin_id} changes.
_BULLETIN: dict[str, Any] = {
    "title": _STR,
    "body": _STR,
    "category": _STR,
    "issuer": _STR,
    "priority": {"enum": ["normal", "priority", "emergency"]},
    "valid_from": _DATE,
    "valid_to": _DATE,
    "plays_per_day": {"type": "integer", "minimum": 1},
    "stations": {"type": "array", "items": _STR},
    "group": _STR,
}
_ID_STATUS = _object({"id": _INT, "status": _STR})


_ASRUN_ROW = {
    "type": "object",
    "required": ["uid", "date", "status"],
    "description": "One row; a bad row refuses the whole batch with a 400 naming it (the agent then "
    "splits the batch to set the bad row aside). Times are ISO-8601 with an offset, and must lie within "
    "years 1–9999 once converted to UTC; a played or cut row needs actual_start; an end is not "
    "before its start.",
    "properties": {
        "uid": {
            "type": "string",
            "minLength": 1,
            "maxLength": 64,
            "description": "The agent's idempotency key",
        },
        "date": {"type": "string", "format": "date", "description": "The playlist's day (YYYY-MM-DD)"},
        "version": {"type": ["integer", "null"], "minimum": 0, "maximum": 2**31 - 1},
        "kind": {"enum": ["bulletin", "relay", "jingle"], "default": "bulletin"},
        "title": {"type": "string", "maxLength": 300},
        "sha256": {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
        "bulletin_id": {"type": ["integer", "null"], "minimum": 0, "maximum": 2**31 - 1},
        "planned_start": {"type": ["string", "null"], "format": "date-time"},
        "planned_end": {"type": ["string", "null"], "format": "date-time"},
        "actual_start": {"type": ["string", "null"], "format": "date-time"},
        "actual_end": {"type": ["string", "null"], "format": "date-time"},
        "status": {"enum": ["played", "cut", "skipped", "failed"]},
        "detail": {"type": "string", "maxLength": 2000},
        "cause": {
            "type": ["string", "null"],
            "enum": ["", None, *CAUSES],
            "description": "What cut the play or kept it off air (optional; older agents omit it)",
        },
        "language": {
            "type": ["string", "null"],
            "pattern": "^([a-z]{3})?$",
            "description": "ISO 639-3 code of the version that aired (optional; empty: Vietnamese)",
        },
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Loa station API",
            "version": "1",
            "description": "Playlists and media for commune station agents; as-run logs, heartbeats and "
            "bulletin submission. Errors are JSON objects with a Vietnamese message. Tokens: a "
            "station's manifests need that station's agent token (or a user's API token); the station "
            "list needs a user's API token; media are open (content-addressed, shared by stations and "
            "the public podcast feed). Request bodies are limited to api_max_body_bytes (413).",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "code"],
                    "properties": {"error": {"type": "string"}, "code": {"type": "string"}},
                },
                "Manifest": MANIFEST_SCHEMA,
                "AsRunRow": _ASRUN_ROW,
            },
        },
        "paths": {
            "/api/v1/stations": {
                "get": _op("All stations with their online state (a user's API token)",
                           {"200": _json({"type": "array", "items": {"type": "object"}}, "Stations")}, 401),
            },
            "/api/v1/stations/{code}/playlists/{date}": {
                "get": _op(
                    "The latest playlist manifest of a station for a date (that station's agent token, "
                    "or a user's API token)",
                    {"200": _json({"$ref": "#/components/schemas/Manifest"}, "The manifest; ETag set"),
                     "304": {"description": "Unchanged since the ETag given"}},
                    400, 401, 403, 404,
                    parameters=[_in_path("code", _STR), _in_path("date", _DATE), _header("If-None-Match")],
                ),
            },
            "/api/v1/stations/{code}/events": {
                "get": {
                    "summary": "Server-sent events for a station's agent (its agent token, or a user's API "
                    "token): `ready` on connect, `emergency` (data: date, version, etag of the new "
                    "playlist version) within a second of its commit, a keep-alive comment every "
                    "events_keepalive_s. The server ends the stream after events_stream_s; the agent "
                    "reconnects, and polls its manifest on every (re)connect.",
                    "security": _BEARER,
                    "parameters": [
                        {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {"description": "The event stream", "content": {"text/event-stream": {}}},
                        **_errors(401, 403, 404),
                        "503": {
                            "description": "This server holds events_max_streams streams: keep polling",
                            "headers": {"Retry-After": {"required": True, "schema": {"type": "string"}}},
                            "content": {"application/json": {"schema": _ERROR}},
                        },
                        **_405,
                    },
                }
            },
            "/api/v1/media/{sha256}": {
                "get": _op(
                    "A media file by its SHA-256; supports Range and ETag, cacheable for a year",
                    {"200": {"description": "The file", "content": {"audio/mpeg": {}}},
                     "206": {"description": "Part of the file", "content": {"audio/mpeg": {}}},
                     "302": {"description": "media_presign_s > 0 with S3 storage: a presigned URL of the object "
                             "(Location)"},
                     "304": {"description": "Unchanged"},
                     "404": {"description": "No such file"},
                     "416": {"description": "Range not satisfiable"},
                     "503": {"description": "The object store is down: retry after Retry-After seconds",
                             "headers": {"Retry-After": {"required": True, "schema": _STR}},
                             "content": {"application/json": {"schema": _ERROR}}}},
                    parameters=[_in_path("sha256", {"type": "string", "pattern": "^[0-9a-f]{64}$"}),
                                _header("Range")],
                    secured=False,
                ),
            },
            "/api/v1/asrun": {
                "post": _op(
                    "Upload as-run rows; idempotent by uid, so a retry never duplicates a row",
                    {"200": _json(_object({"accepted": _INT, "duplicates": _INT}), "Stored")},
                    400, 401, 403, 413,
                    body=_object({"station": _STR, "rows": {"type": "array", "items": {"$ref": "#/components/schemas/AsRunRow"}}},
                                 required=["rows"]),
                ),
            },
            "/api/v1/heartbeat": {
                "post": _op(
                    "Tell the server this station's agent is alive; the reply carries the remote commands "
                    "waiting for it",
                    {"200": _json(_object({
                        "ok": {"type": "boolean"},
                        "server_time": _STR,
                        "commands": {
                            "type": "array",
                            "description": "Remote commands not yet acknowledged: stop, resume, skip, volume, tone, "
                            "play_now, system_test",
                            "items": _object({"id": _INT, "kind": _STR, "params": {"type": "object"}}),
                        },
                    }), "Recorded; the commands waiting for this station")},
                    400, 401, 403, 413,
                    body=_object({
                        "station": _STR,
                        "time": {"type": ["string", "null"], "format": "date-time", "maxLength": 64,
                                 "description": "The agent's clock; checked: ISO-8601 with an offset"},
                        "agent_version": {"type": ["string", "null"], "maxLength": 64},
                        "cached_until": {"type": ["string", "null"], "format": "date", "maxLength": 64},
                        "playing": {"type": ["string", "null"], "maxLength": 300},
                        "acks": {
                            "type": "array",
                            "maxItems": 50,
                            "description": "The agent's verdicts on remote commands it was sent",
                            "items": _object({"id": _INT, "ok": {"type": "boolean"},
                                              "result": {"type": "string", "maxLength": 500}},
                                             required=["id", "ok"]),
                        },
                    }),
                ),
            },
            "/api/v1/bulletins": {
                "post": _op(
                    "Submit a bulletin from another system (a user's API token)",
                    {"201": _json(_ID_STATUS, "Created")},
                    400, 401, 403, 404, 413,
                    body=_object({**_BULLETIN, "submit": {"type": "boolean", "default": True}},
                                 required=["title", "body"]),
                ),
            },
            "/api/v1/bulletins/{bulletin_id}": {
                "patch": _op(
                    "Edit a draft or rejected bulletin: only the fields sent change, with the rules and "
                    "words of the panel's form and `loa bulletin edit` (a user's API token, editor or admin)",
                    {"200": _json(_ID_STATUS, "Changed")},
                    400, 401, 403, 404, 409, 413,
                    parameters=[_in_path("bulletin_id", _INT)],
                    body=_object(_BULLETIN),
                ),
            },
            "/api/v1/inbox": {
                "get": _op("A unit's inbox of bulletins from higher units (Circular 39; a user's API "
                           "token; ?unit=CODE, default the user's unit)",
                           {"200": _json({"type": "array", "items": _INBOX_ENTRY}, "Entries, waiting ones first")},
                           400, 401, 403, 404,
                           parameters=[{"name": "unit", "in": "query", "schema": _STR}]),
            },
            "/api/v1/inbox/{bulletin_id}": {
                "post": _op("A commune's decision on a bulletin from above: accept or decline (normal), "
                            "before or after its own (priority)",
                            {"200": _json(_INBOX_ENTRY, "The commune's entry after the decision")},
                            400, 401, 403, 404, 413,
                            parameters=[_in_path("bulletin_id", _INT)],
                            body=_object({"decision": {"enum": ["accept", "decline", "before", "after"]},
                                          "reason": _STR, "unit": _STR}, required=["decision"])),
            },
            "/api/v1/bulletins/{bulletin_id}/inbox": {
                "get": _op("The sending unit's view: each target commune's answer",
                           {"200": _json({"type": "array", "items": _INBOX_ENTRY}, "One entry per commune")},
                           401, 403, 404, parameters=[_in_path("bulletin_id", _INT)]),
            },
            "/api/v1/cap": {
                "post": {
                    "summary": "A Common Alerting Protocol 1.2 message (Alert, Update, Cancel) as an emergency "
                    "bulletin (a reviewer's or administrator's API token). An Alert becomes a bulletin for review "
                    "(its Vietnamese info; the stations of the units its geocodes name, else every station with "
                    "needs_targeting); an Update changes, a Cancel withdraws the bulletin it references; a "
                    "message already received changes nothing",
                    "security": _BEARER,
                    "requestBody": {
                        "required": True,
                        "content": {"application/xml": {"schema": _CAP_ALERT}},
                    },
                    "responses": {
                        "201": _json(_CAP_OUTCOME, "An Alert made an emergency bulletin"),
                        "200": _json(_CAP_OUTCOME, "An Update or Cancel applied, or a message already received"),
                        **_errors(400, 401, 403, 404),
                        "413": _json(_ERROR, "Larger than cap_max_bytes (512 KiB by default) or api_max_body_bytes"),
                        **_405,
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.1"}, **_405},
                }
            },
        },
    }
