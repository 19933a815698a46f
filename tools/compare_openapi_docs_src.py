"""Compare the OpenAPI documents of FastAPI's tutorial apps (`docs_src/`) built by FastAPI and by vivace.

Every `docs_src/**.py` module that defines `app` is imported twice, each time in a fresh subprocess: once with
the real `fastapi`, once with `vivace.compat.install()` aliasing `fastapi` to vivace. The two `app.openapi()`
documents must be equal, key order included. Prints a short diff for each module that differs, then
"N identical of M". tests/openapi/test_docs_src_openapi.py runs the same comparison as part of the test suite.

    .venv/bin/python tools/compare_openapi_docs_src.py [-k FILTER] [--diff-lines N]

FastAPI's sdist comes from the cache tools/conformance.py keeps (.cache/conformance/, downloaded on first use).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import difflib
import importlib
import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

TOOLS = Path(__file__).resolve().parent
KINDS = ("fastapi", "vivace")
# A tutorial module is an app module when its source creates or annotates `app` as a FastAPI application.
APP_MARKERS = ("app = FastAPI(", "app: FastAPI")
# The settings tutorials read a required setting from the environment.
TUTORIAL_ENV = {"ADMIN_EMAIL": "admin@example.com"}


def ensure_sdist() -> Path:
    """FastAPI's extracted sdist, from tools/conformance.py's cache (locked only when it must be downloaded)."""
    sys.path.insert(0, str(TOOLS))
    try:
        import conformance
    finally:
        sys.path.remove(str(TOOLS))
    if (conformance.SDIST_ROOT / ".vivace-extracted").is_file():
        return Path(conformance.SDIST_ROOT)
    with conformance.exclusive_lock():
        return Path(conformance.ensure_sdist())


def module_names(src: Path, pattern: str = "") -> list[str]:
    """Dotted names of the `docs_src` modules that define an app, sorted; only those containing `pattern`."""
    names = []
    for path in sorted((src / "docs_src").rglob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.name == "__init__.py" or not any(marker in text for marker in APP_MARKERS):
            continue
        name = ".".join(path.relative_to(src).with_suffix("").parts)
        if pattern in name:
            names.append(name)
    return names


# -- the child process -----------------------------------------------------------------------------------


def _document_of(name: str) -> dict[str, Any]:
    """{"doc": the module's document as plain JSON} or {"error": why it could not be built}."""
    # NOTE: the SQL tutorials all declare the same tables on SQLModel's one shared metadata.
    sqlmodel = sys.modules.get("sqlmodel")
    if sqlmodel is not None:
        sqlmodel.SQLModel.metadata.clear()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            app = getattr(importlib.import_module(name), "app", None)
            if app is None or not hasattr(app, "openapi"):
                return {"error": "no app"}
            document = app.openapi()
        return {"doc": json.loads(json.dumps(document))}
    except Exception as exc:  # NOTE: any failure is this module's result, never the end of the run
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}


def dump(kind: str, src: Path, names: list[str], out: Path) -> None:
    """Child process: import each module under `kind` ("fastapi" or "vivace"); write {name: result} to `out`."""
    if kind == "vivace":
        import vivace.compat

        vivace.compat.install()
    sys.path.insert(0, str(src.resolve()))
    out.write_text(json.dumps({name: _document_of(name) for name in names}), encoding="utf-8")


def build_documents(src: Path, names: list[str], workdir: Path) -> dict[str, dict[str, Any]]:
    """{kind: {name: result}}, each kind built in its own fresh interpreter, both at once."""
    names_file = workdir / "names.json"
    names_file.write_text(json.dumps(names), encoding="utf-8")
    with concurrent.futures.ThreadPoolExecutor(len(KINDS)) as pool:
        results = pool.map(lambda kind: _run_child(kind, src, names_file, workdir), KINDS)
        return dict(zip(KINDS, results, strict=True))


def _run_child(kind: str, src: Path, names_file: Path, workdir: Path) -> dict[str, Any]:
    out = workdir / f"{kind}.json"
    scratch = workdir / kind
    # The directories the static-files, templates and frontend tutorials mount, relative to the working one.
    for directory in ("static", "templates", "dist"):
        (scratch / directory).mkdir(parents=True, exist_ok=True)
    for page in ("index.html", "404.html"):
        (scratch / "dist" / page).write_text("<!doctype html>\n", encoding="utf-8")
    command = [sys.executable, __file__, "--dump", kind, "--fastapi-src", str(src.resolve()),
               "--names", str(names_file), "--out", str(out)]
    # NOTE: tutorial modules create files (sqlite databases) in the working directory: each child gets a
    # scratch one. A fixed hash seed gives both the same set order (a multi-method route iterates a set).
    env = {**os.environ, **TUTORIAL_ENV, "PYTHONWARNINGS": "ignore", "PYTHONHASHSEED": "0"}
    subprocess.run(command, check=True, cwd=scratch, env=env, stdout=subprocess.DEVNULL)
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


# -- comparing -------------------------------------------------------------------------------------------


def difference(expected: dict[str, Any], actual: dict[str, Any], lines: int = 12) -> str | None:
    """None when both built the same document (key order included), else a short description of how not."""
    if "doc" not in actual:
        return f"vivace failed: {actual.get('error')}"
    if json.dumps(actual["doc"]) == json.dumps(expected["doc"]):
        return None
    sort = actual["doc"] != expected["doc"]
    head = "" if sort else "same content, different key order\n"
    old, new = (json.dumps(doc, indent=1, sort_keys=sort).splitlines() for doc in (expected["doc"], actual["doc"]))
    body = list(difflib.unified_diff(old, new, "fastapi", "vivace", n=1, lineterm=""))[2:]
    more = [f"... {len(body) - lines} more diff lines"] if len(body) > lines else []
    return head + "\n".join(body[:lines] + more)


def compare(src: Path, pattern: str, diff_lines: int) -> int:
    names = module_names(src, pattern)
    with tempfile.TemporaryDirectory(prefix="vivace-docs-src-") as tmp:
        results = build_documents(src, names, Path(tmp))
    built = [name for name in names if "doc" in results["fastapi"][name]]
    identical = 0
    for name in built:
        diff = difference(results["fastapi"][name], results["vivace"][name], diff_lines)
        if diff is None:
            identical += 1
        else:
            print(f"- {name}:\n    " + diff.replace("\n", "\n    "))
    print(f"{identical} identical of {len(built)} (of {len(names)} app modules, {len(names) - len(built)} "
          "not built by FastAPI either)")
    return 0 if identical == len(built) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", default="", help="only modules whose dotted name contains this text")
    parser.add_argument("--diff-lines", default=12, type=int)
    parser.add_argument("--fastapi-src", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dump", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--names", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    src = args.fastapi_src or ensure_sdist()
    if args.dump:
        dump(args.dump, src, json.loads(args.names.read_text(encoding="utf-8")), args.out)
        return 0
    return compare(src, args.k, args.diff_lines)


if __name__ == "__main__":
    sys.exit(main())
