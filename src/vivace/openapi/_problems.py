"""The OpenAPI side of problem details: the operations whose errors are RFC 9457 documents say so.

For each such operation, the 422 that FastAPI documents as `HTTPValidationError` becomes an
`application/problem+json` body (`ValidationProblemDetail`: a `ProblemDetail` with `errors`), and every other
documented 4xx/5xx response (`404`, `"4XX"`...) lists `application/problem+json` with the `ProblemDetail` schema
next to what it already declares. Documents of applications without problem details are never touched.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

from vivace.problems import PROBLEM_JSON

__all__ = ["PROBLEM_SCHEMAS", "add_problem_details"]

_REF = "#/components/schemas/"
_VALIDATION_ERROR_REF = {"$ref": _REF + "HTTPValidationError"}

PROBLEM_SCHEMAS: dict[str, dict[str, Any]] = {
    "ProblemDetail": {
        "title": "ProblemDetail",
        "description": "An error answer as an RFC 9457 problem document; extension members may follow.",
        "type": "object",
        "properties": {
            "type": {
                "title": "Type",
                "type": "string",
                "format": "uri-reference",
                "default": "about:blank",
                "description": "A URI reference identifying the problem type.",
            },
            "title": {"title": "Title", "type": "string", "description": "A short summary of the problem type."},
            "status": {"title": "Status", "type": "integer", "description": "The HTTP status code."},
            "detail": {"title": "Detail", "description": "An explanation of this occurrence of the problem."},
            "instance": {
                "title": "Instance",
                "type": "string",
                "format": "uri-reference",
                "description": "The request path this occurrence concerns.",
            },
        },
        "required": ["type", "title", "status"],
        "additionalProperties": True,
    },
    "ValidationProblemDetail": {
        "title": "ValidationProblemDetail",
        "description": "A request validation error (422) as a problem document, with the failed checks in errors.",
        "allOf": [
            {"$ref": _REF + "ProblemDetail"},
            {
                "type": "object",
                "properties": {
                    "errors": {"title": "Errors", "type": "array", "items": {"$ref": _REF + "ValidationError"}},
                },
                "required": ["errors"],
            },
        ],
    },
}


def _is_error(code: str) -> bool:
    return code[:1] in ("4", "5")


def _rewrite(responses: dict[str, Any]) -> set[str]:
    """Rewrite one operation's error responses; returns the problem schemas it now refers to."""
    used = set()
    for code, response in responses.items():
        if not _is_error(code) or not isinstance(response, dict):
            continue
        content = response.setdefault("content", {})
        json_body = content.get("application/json")
        if code == "422" and isinstance(json_body, dict) and json_body.get("schema") == _VALIDATION_ERROR_REF:
            del content["application/json"]
            content[PROBLEM_JSON] = {"schema": {"$ref": _REF + "ValidationProblemDetail"}}
            used.add("ValidationProblemDetail")
        else:
            content.setdefault(PROBLEM_JSON, {"schema": {"$ref": _REF + "ProblemDetail"}})
        used.add("ProblemDetail")
    return used


def add_problem_details(document: dict[str, Any], operations: Sequence[tuple[str, Sequence[str]]]) -> None:
    """Declare problem documents for the error responses of `operations` ((path, methods) pairs), in place."""
    used: set[str] = set()
    paths = document.get("paths", {})
    for path, methods in operations:
        for method in methods:
            operation = paths.get(path, {}).get(method.lower())
            if isinstance(operation, dict) and isinstance(operation.get("responses"), dict):
                used |= _rewrite(operation["responses"])
    if not used:
        return
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update({name: copy.deepcopy(PROBLEM_SCHEMAS[name]) for name in used})
    if "HTTPValidationError" in schemas and json.dumps(_VALIDATION_ERROR_REF["$ref"]) not in json.dumps(document):
        del schemas["HTTPValidationError"]  # NOTE: every operation that used it answers problem documents now
    document["components"]["schemas"] = dict(sorted(schemas.items()))
