"""The OpenAPI 3.1 description of /api/v1, written out by hand so it says exactly what the contract is."""

from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Invalid input (bad JSON, JSON nested over 32 levels or holding a lone surrogate, a bad field)",
        401: "Missing or wrong token",
        403: "Not allowed",
        404: "Not found",
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


_MANIFEST_ITEM = {
    "type": "object",
    "required": ["start", "duration_s", "kind", "title", "priority", "sha256", "size", "url"],
    "properties": {
        "start": {"type": "string", "format": "date-time"},
        "duration_s": {"type": "number"},
        "kind": {"enum": ["bulletin", "relay", "jingle"]},
        "title": {"type": "string"},
        "priority": {"enum": ["normal", "priority", "emergency"]},
        "sha256": {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
        "size": {"type": "integer"},
        "url": {"type": "string"},
    },
}

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
    },
}


def openapi_document() -> dict[str, Any]:
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
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
                "Manifest": {
                    "type": "object",
                    "required": ["station", "date", "version", "generated_at", "items", "unplaced"],
                    "properties": {
                        "station": {"type": "string"},
                        "date": {"type": "string", "format": "date"},
                        "version": {"type": "integer"},
                        "generated_at": {"type": "string", "format": "date-time"},
                        "emergency": {"type": "boolean"},
                        "items": {"type": "array", "items": _MANIFEST_ITEM},
                        "unplaced": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"title": {"type": "string"}, "reason": {"type": "string"}},
                            },
                        },
                    },
                },
                "AsRunRow": _ASRUN_ROW,
            },
        },
        "paths": {
            "/api/v1/stations": {
                "get": {
                    "summary": "All stations with their online state (a user's API token)",
                    "security": bearer,
                    "responses": {
                        "200": _json({"type": "array", "items": {"type": "object"}}, "Stations"),
                        **_errors(401),
                        **_405,
                    },
                }
            },
            "/api/v1/stations/{code}/playlists/{date}": {
                "get": {
                    "summary": "The latest playlist manifest of a station for a date (that station's "
                    "agent token, or a user's API token)",
                    "security": bearer,
                    "parameters": [
                        {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}},
                        {
                            "name": "date",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "format": "date"},
                        },
                        {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Manifest"}, "The manifest; ETag set"),
                        "304": {"description": "Unchanged since the ETag given"},
                        **_errors(400, 401, 403, 404),
                        **_405,
                    },
                }
            },
            "/api/v1/stations/{code}/events": {
                "get": {
                    "summary": "Server-sent events for a station's agent (its agent token, or a user's API "
                    "token): `ready` on connect, `emergency` (data: date, version, etag of the new "
                    "playlist version) within a second of its commit, a keep-alive comment every "
                    "events_keepalive_s. The server ends the stream after events_stream_s; the agent "
                    "reconnects, and polls its manifest on every (re)connect.",
                    "security": bearer,
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
                "get": {
                    "summary": "A media file by its SHA-256; supports Range and ETag, cacheable for a year",
                    "parameters": [
                        {
                            "name": "sha256",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                        },
                        {"name": "Range", "in": "header", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {"description": "The file", "content": {"audio/mpeg": {}}},
                        "206": {"description": "Part of the file", "content": {"audio/mpeg": {}}},
                        "304": {"description": "Unchanged"},
                        "302": {"description": "media_presign_s > 0 with S3 storage: a presigned URL "
                                "of the object (Location)"},
                        "404": {"description": "No such file"},
                        "416": {"description": "Range not satisfiable"},
                        "503": {
                            "description": "The object store is down: retry after Retry-After seconds",
                            "headers": {"Retry-After": {"required": True, "schema": {"type": "string"}}},
                            "content": {"application/json": {"schema": _ERROR}},
                        },
                        **_405,
                    },
                }
            },
            "/api/v1/asrun": {
                "post": {
                    "summary": "Upload as-run rows; idempotent by uid, so a retry never duplicates a row",
                    "security": bearer,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["rows"],
                                    "properties": {
                                        "station": {"type": "string"},
                                        "rows": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/AsRunRow"},
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "accepted": {"type": "integer"},
                                    "duplicates": {"type": "integer"},
                                },
                            },
                            "Stored",
                        ),
                        **_errors(400, 401, 403, 413),
                        **_405,
                    },
                }
            },
            "/api/v1/heartbeat": {
                "post": {
                    "summary": "Tell the server this station's agent is alive",
                    "security": bearer,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "station": {"type": "string"},
                                        "time": {
                                            "type": ["string", "null"],
                                            "format": "date-time",
                                            "maxLength": 64,
                                            "description": "The agent's clock; checked: ISO-8601 with an offset",
                                        },
                                        "agent_version": {"type": ["string", "null"], "maxLength": 64},
                                        "cached_until": {
                                            "type": ["string", "null"],
                                            "format": "date",
                                            "maxLength": 64,
                                        },
                                        "playing": {"type": ["string", "null"], "maxLength": 300},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {"ok": {"type": "boolean"}, "server_time": {"type": "string"}},
                            },
                            "Recorded",
                        ),
                        **_errors(400, 401, 403, 413),
                        **_405,
                    },
                }
            },
            "/api/v1/bulletins": {
                "post": {
                    "summary": "Submit a bulletin from another system (a user's API token)",
                    "security": bearer,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["title", "body"],
                                    "properties": {
                                        "title": {"type": "string"},
                                        "body": {"type": "string"},
                                        "category": {"type": "string"},
                                        "issuer": {"type": "string"},
                                        "priority": {"enum": ["normal", "priority", "emergency"]},
                                        "valid_from": {"type": "string", "format": "date"},
                                        "valid_to": {"type": "string", "format": "date"},
                                        "plays_per_day": {"type": "integer", "minimum": 1},
                                        "stations": {"type": "array", "items": {"type": "string"}},
                                        "group": {"type": "string"},
                                        "submit": {"type": "boolean", "default": True},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json(
                            {
                                "type": "object",
                                "properties": {"id": {"type": "integer"}, "status": {"type": "string"}},
                            },
                            "Created",
                        ),
                        **_errors(400, 401, 403, 404, 413),
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
