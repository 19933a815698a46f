"""`vivace openapi`: the app's OpenAPI document as JSON (or YAML), built without starting a server."""

from __future__ import annotations

import importlib
import json
from typing import Any

from vivace._cli.errors import CLIError, UserCodeError
from vivace.applications import Vivace

__all__ = ["openapi_text"]


def _build(app: Vivace) -> dict[str, Any]:
    try:
        document = app.openapi()
    except Exception as exc:  # the document reads every user model, so any of them can fail here
        raise UserCodeError(
            "Building the OpenAPI document failed:", exc,
            hint="`vivace check` names the routes whose response model has no JSON Schema",
        ) from exc
    # NOTE: a JSON round trip leaves only plain types, which YAML can dump without Python-specific tags.
    plain: dict[str, Any] = json.loads(json.dumps(document))
    return plain


def _yaml_module() -> Any:
    try:
        return importlib.import_module("yaml")
    except ImportError as exc:
        raise CLIError("--yaml needs PyYAML, which is not installed", hint="pip install pyyaml") from exc


def openapi_text(app: Vivace, *, as_yaml: bool) -> str:
    yaml = _yaml_module() if as_yaml else None  # fail on a missing PyYAML before doing any work
    document = _build(app)
    if yaml is not None:
        text: str = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        return text
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
