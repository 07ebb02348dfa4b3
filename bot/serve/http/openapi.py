"""The OpenAPI document of the HTTP API (``GET /openapi.json``).

Written by hand, beside the routes it describes; ``tests/test_http.py`` checks
that every route is documented and every documented route exists, and
validates real responses against these schemas.
"""

from __future__ import annotations

from typing import Any

from bot import __version__
from bot.lang import MAX_INPUT_CHARS

__all__ = ["openapi"]

_CHOICE = {
    "type": "object",
    "required": ["intent", "text"],
    "properties": {"intent": {"type": "string"}, "text": {"type": "string"}},
}
_ANSWER: dict[str, Any] = {
    "type": "object",
    "required": ["question", "intent", "lang", "score", "text", "kind", "suggestions", "choices", "source"],
    "properties": {
        "question": {"type": "string"},
        "intent": {"type": ["string", "null"], "description": "The intent answered; null unless one was."},
        "lang": {"type": "string"},
        "score": {"type": "number", "minimum": 0, "maximum": 100},
        "text": {"type": "string"},
        "kind": {"type": "string", "enum": ["answer", "clarify", "partial", "decline", "empty", "info"]},
        "suggestions": {"type": "array", "items": {"$ref": "#/components/schemas/Choice"}},
        "choices": {"type": "array", "items": {"$ref": "#/components/schemas/Choice"},
                    "description": "A clarification's options: pick one by number or by its intent."},
        "source": {"type": "array", "items": {"type": "string"},
                   "description": "The sentences of the source document behind the answer."},
        "topics": {"type": "array", "items": {"$ref": "#/components/schemas/TopicGroup"}},
        "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Answer"}},
    },
}  # fmt: skip
_TOPIC_GROUP = {
    "type": "object",
    "required": ["title", "choices"],
    "properties": {
        "title": {"type": "string"},
        "choices": {"type": "array", "items": {"$ref": "#/components/schemas/Choice"}},
    },
}
_ERROR = {
    "type": "object",
    "required": ["ok", "error"],
    "properties": {"ok": {"const": False}, "error": {"type": "string"}},
}
_INTENT = {
    "type": "object",
    "required": ["id", "topic", "title", "phrases", "answer", "source", "related"],
    "properties": {
        "id": {"type": "string"},
        "topic": {"type": "string"},
        "title": {"type": "object", "additionalProperties": {"type": "string"}},
        "phrases": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "answer": {"type": "object", "additionalProperties": {"type": "string"}},
        "source": {"type": "array", "items": {"type": "string"}},
        "related": {"type": "array", "items": {"type": "string"}},
    },
}  # fmt: skip
_LANG = {"type": ["string", "null"], "enum": ["en", "tr", None]}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*statuses: int) -> dict[str, Any]:
    reasons = {
        400: "The body is not valid JSON, or a malformed request.",
        401: "An API key is needed (the server was started with --api-key-file).",
        404: "No such conversation (it may have expired).",
        408: "The body took more than 10 seconds to arrive.",
        409: "The conversation is answering another message: retry.",
        413: "The body is larger than 64 KiB (refused before it is read).",
        415: "The body is not JSON.",
        422: "A field is missing, of the wrong type, empty or too long.",
        429: "Too many requests from this client or to this conversation: see Retry-After.",
        503: "The conversation store is not available: retry.",
    }
    return {str(s): {"description": reasons[s], **_json(_ref("Error"))} for s in statuses}


def openapi(languages: tuple[str, ...] = ("en", "tr")) -> dict[str, Any]:
    """The document, for a server whose knowledge base speaks ``languages``."""
    lang = {**_LANG, "enum": [*languages, None]}
    body_errors = (400, 401, 408, 413, 415, 422, 429)
    question = {"type": "string", "minLength": 1, "maxLength": MAX_INPUT_CHARS}
    conversation_id = {
        "name": "id", "in": "path", "required": True, "schema": {"type": "string"},
        "description": "The id returned when the conversation was started.",
    }  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kzbot: Turkey–Kazakhstan relations, answered in English and Turkish",
            "version": __version__,
            "description": "Answers come only from the source document; what it does not say is declined.",
        },
        "paths": {
            "/v1/ask": {
                "post": {
                    "summary": "Answer one independent question",
                    "requestBody": {"required": True, **_json({
                        "type": "object", "required": ["question"],
                        "properties": {"question": question, "lang": lang},
                    })},
                    "responses": {"200": {"description": "The answer.", **_json(_ref("Answer"))},
                                  **_errors(*body_errors)},
                }
            },
            "/v1/conversations": {
                "post": {
                    "summary": "Start a conversation",
                    "requestBody": {"required": False, **_json({
                        "type": "object", "properties": {"lang": lang},
                    })},
                    "responses": {
                        "201": {"description": "Its id and language.", **_json({
                            "type": "object", "required": ["id", "lang"],
                            "properties": {"id": {"type": "string"}, "lang": {"type": "string"}},
                        })},
                        **_errors(*body_errors, 503),
                    },
                }
            },
            "/v1/conversations/{id}/messages": {
                "post": {
                    "summary": "The next turn: a question, a follow-up, a number, a command, or a choice",
                    "parameters": [conversation_id],
                    "requestBody": {"required": True, **_json({
                        "type": "object",
                        "properties": {"text": question, "choice": {"type": "string"}},
                        "description": 'Either "text" (a question, "2" to pick an offered question, '
                                       '"/lang tr", "say it in Turkish") or "choice" (an intent id).',
                    })},
                    "responses": {"200": {"description": "The answer.", **_json(_ref("Answer"))},
                                  **_errors(*body_errors, 404, 409, 503)},
                }
            },
            "/v1/conversations/{id}": {
                "get": {
                    "summary": "A conversation's language and last answer",
                    "parameters": [conversation_id],
                    "responses": {
                        "200": {"description": "The conversation.", **_json({
                            "type": "object", "required": ["id", "lang", "last"],
                            "properties": {"id": {"type": "string"}, "lang": {"type": "string"},
                                           "last": {"oneOf": [_ref("Answer"), {"type": "null"}]}},
                        })},
                        **_errors(401, 404, 429, 503),
                    },
                }
            },
            "/v1/intents": {
                "get": {
                    "summary": "The knowledge base: every intent with its phrases and answers",
                    "responses": {"200": {"description": "The catalogue.",
                                          **_json({"type": "array", "items": _ref("Intent")})},
                                  **_errors(401)},
                }
            },
            "/v1/topics": {
                "get": {
                    "summary": "The answerable questions, grouped by topic",
                    "parameters": [{"name": "lang", "in": "query", "required": False,
                                    "schema": {"type": "string", "enum": list(languages)}}],
                    "responses": {
                        "200": {"description": "The topics.", **_json({
                            "type": "object", "required": ["lang", "topics"],
                            "properties": {"lang": {"type": "string"},
                                           "topics": {"type": "array", "items": _ref("TopicGroup")}},
                        })},
                        **_errors(401, 422),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Answer": _ANSWER,
                "Choice": _CHOICE,
                "TopicGroup": _TOPIC_GROUP,
                "Intent": _INTENT,
                "Error": _ERROR,
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "Only when the server was started with --api-key-file."},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                           "description": "The same key, in a header of its own."},
            },
        },
        # Open unless the server was started with --api-key-file; then either scheme.
        "security": [{}, {"bearer": []}, {"apiKey": []}],
    }  # fmt: skip
