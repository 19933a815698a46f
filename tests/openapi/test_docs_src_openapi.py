"""Every tutorial app in FastAPI 0.165's sdist (`docs_src/`) gets the same OpenAPI document from vivace.

The sdist is the one tools/conformance.py caches in .cache/conformance/ (downloaded on first use). Each app
module is imported under the real FastAPI and, in another fresh interpreter, under vivace through the
`fastapi` alias (tools/compare_openapi_docs_src.py does both; run it by hand for readable diffs). The
documents must be equal as JSON text, key order included.
"""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV30SpecValidator

from vivace.openapi._downgrade import downgrade_document

ROOT = Path(__file__).resolve().parents[2]

# Apps whose documents are known to differ, with the reason. Like a strict xfail: an app listed here that
# starts to match fails the test too, so that this list only ever shrinks.
KNOWN_DIFFERENCES: dict[str, str] = {}
# FastAPI 0.165 builds 357 of the 362 tutorial app modules here (the others need psycopg or pydantic.v1
# models, or fail on purpose); many fewer would mean the comparison silently lost apps.
MIN_BUILT = 350


def load_tool() -> ModuleType:
    path = ROOT / "tools" / "compare_openapi_docs_src.py"
    spec = importlib.util.spec_from_file_location("compare_openapi_docs_src", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def build_all(workdir: Path) -> dict[str, dict[str, Any]]:
    """{app module: {"fastapi": result, "vivace": result}} for every app module FastAPI itself can build."""
    tool = load_tool()
    src = tool.ensure_sdist()
    names = tool.module_names(src)
    results = tool.build_documents(src, names, workdir)
    return {
        name: {kind: results[kind][name] for kind in results} for name in names if "doc" in results["fastapi"][name]
    }


def unexpected_differences(built: dict[str, dict[str, Any]]) -> tuple[dict[str, str], list[str]]:
    """(apps that differ but are not listed, listed apps that no longer differ)."""
    tool = sys.modules["compare_openapi_docs_src"]
    differences = {name: tool.difference(pair["fastapi"], pair["vivace"]) for name, pair in built.items()}
    differing = {name: diff for name, diff in differences.items() if diff is not None}
    unexpected = {name: diff for name, diff in differing.items() if name not in KNOWN_DIFFERENCES}
    return unexpected, sorted(set(KNOWN_DIFFERENCES) - set(differing))


def invalid_as_30(documents: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """The 3.0 validator's first complaints about each document once down-converted to 3.0.3."""
    invalid = {}
    for name, document in documents.items():
        errors = list(OpenAPIV30SpecValidator(downgrade_document(document, "3.0.3")).iter_errors())
        if errors:
            invalid[name] = [f"{list(error.absolute_path)}: {error.message}"[:300] for error in errors[:3]]
    return invalid


# NOTE: one test, not one per app: building the documents is the expensive part (two interpreters import
# ~360 tutorial modules), and under pytest-xdist a shared fixture would be built again on each worker.
@pytest.mark.timeout(240)
def test_docs_src_documents(tmp_path: Path) -> None:
    """vivace's document equals FastAPI's for every tutorial app (bar the listed ones) and converts to valid 3.0."""
    built = build_all(tmp_path)
    assert len(built) >= MIN_BUILT
    unexpected, now_matching = unexpected_differences(built)
    assert unexpected == {}, "\n\n".join(f"{name}:\n{diff}" for name, diff in unexpected.items())
    assert now_matching == [], "these apps match FastAPI now: remove them from KNOWN_DIFFERENCES"
    documents = {name: pair["vivace"]["doc"] for name, pair in built.items() if "doc" in pair["vivace"]}
    assert invalid_as_30(documents) == {}
