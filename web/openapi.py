"""The OpenAPI 3.1 description of /api/v1, written out by hand so it says exactly what the contract is."""

from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "Invalid input", 401: "Missing or wrong token", 403: "Not allowed", 404: "Not found"}
    return {str(c): _json(_ERROR, text[c]) for c in codes}


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
    "required": ["uid", "status"],
    "properties": {
        "uid": {"type": "string", "maxLength": 64, "description": "The agent's idempotency key"},
        "date": {"type": "string", "format": "date"},
        "version": {"type": "integer"},
        "kind": {"type": "string"},
        "title": {"type": "string"},
        "sha256": {"type": ["string", "null"]},
        "bulletin_id": {"type": ["integer", "null"]},
        "planned_start": {"type": "string", "format": "date-time"},
        "planned_end": {"type": "string", "format": "date-time"},
        "actual_start": {"type": ["string", "null"], "format": "date-time"},
        "actual_end": {"type": ["string", "null"], "format": "date-time"},
        "status": {"enum": ["played", "cut", "skipped", "failed"]},
        "detail": {"type": "string"},
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
            "bulletin submission. Errors are JSON objects with a Vietnamese message.",
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
                    "summary": "All stations with their online state",
                    "responses": {"200": _json({"type": "array", "items": {"type": "object"}}, "Stations")},
                }
            },
            "/api/v1/stations/{code}/playlists/{date}": {
                "get": {
                    "summary": "The latest playlist manifest of a station for a date",
                    "parameters": [
                        {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}},
                        {"name": "date", "in": "path", "required": True, "schema": {"type": "string", "format": "date"}},
                        {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Manifest"}, "The manifest; ETag set"),
                        "304": {"description": "Unchanged since the ETag given"},
                        **_errors(400, 404),
                    },
                }
            },
            "/api/v1/media/{sha256}": {
                "get": {
                    "summary": "A media file by its SHA-256; supports Range and ETag, cacheable for a year",
                    "parameters": [
                        {"name": "sha256", "in": "path", "required": True,
                         "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
                        {"name": "Range", "in": "header", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {"description": "The file", "content": {"audio/mpeg": {}}},
                        "206": {"description": "Part of the file", "content": {"audio/mpeg": {}}},
                        "304": {"description": "Unchanged"},
                        "404": {"description": "No such file"},
                    },
                }
            },
            "/api/v1/asrun": {
                "post": {
                    "summary": "Upload as-run rows; idempotent by uid, so a retry never duplicates a row",
                    "security": bearer,
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "required": ["rows"],
                            "properties": {
                                "station": {"type": "string"},
                                "rows": {"type": "array", "items": {"$ref": "#/components/schemas/AsRunRow"}},
                            },
                        }}},
                    },
                    "responses": {
                        "200": _json({"type": "object", "properties": {
                            "accepted": {"type": "integer"}, "duplicates": {"type": "integer"}}}, "Stored"),
                        **_errors(400, 401, 403),
                    },
                }
            },
            "/api/v1/heartbeat": {
                "post": {
                    "summary": "Tell the server this station's agent is alive",
                    "security": bearer,
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object",
                        "properties": {
                            "station": {"type": "string"},
                            "time": {"type": "string", "format": "date-time"},
                            "agent_version": {"type": "string"},
                            "cached_until": {"type": ["string", "null"], "format": "date"},
                            "playing": {"type": ["string", "null"]},
                        },
                    }}}},
                    "responses": {
                        "200": _json({"type": "object", "properties": {
                            "ok": {"type": "boolean"}, "server_time": {"type": "string"}}}, "Recorded"),
                        **_errors(400, 401, 403),
                    },
                }
            },
            "/api/v1/bulletins": {
                "post": {
                    "summary": "Submit a bulletin from another system (a user's API token)",
                    "security": bearer,
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
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
                    }}}},
                    "responses": {
                        "201": _json({"type": "object", "properties": {
                            "id": {"type": "integer"}, "status": {"type": "string"}}}, "Created"),
                        **_errors(400, 401, 403, 404),
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}
            },
        },
    }
