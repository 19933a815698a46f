"""Compare the OpenAPI documents of FastAPI's tutorial apps (docs_src) built by FastAPI and by vivace.

Every `docs_src/**.py` module that defines `app` (a FastAPI instance) is imported twice, each time in a fresh
subprocess: once with the real `fastapi`, once with `vivace.compat.install()` aliasing `fastapi` to vivace. The
two `app.openapi()` documents must be equal, key order included. Prints "N equal of M" and a short diff for
each module that differs.

    .venv/bin/python tools/compare_openapi_docs_src.py [--fastapi-src /tmp/fa/fastapi-0.165.0] [-k FILTER] [-v]
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

DEFAULT_SRC = "/tmp/fa/fastapi-0.165.0"


def _module_names(src: Path, pattern: str) -> list[str]:
    names = []
    for path in sorted((src / "docs_src").rglob("*.py")):
        if path.name == "__init__.py":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "app = FastAPI(" not in text and "app: FastAPI" not in text:
            continue
        name = ".".join(path.relative_to(src).with_suffix("").parts)
        if pattern in name:
            names.append(name)
    return names


def _dump_one(name: str) -> dict[str, Any]:
    import importlib

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = importlib.import_module(name)
            app = getattr(module, "app", None)
            if app is None or not hasattr(app, "openapi"):
                return {"skip": "no app"}
            document = app.openapi()
        return {"doc": json.loads(json.dumps(document))}
    except BaseException as exc:
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}


def dump(kind: str, src: Path, names: list[str], out: Path) -> None:
    """Child process: import each module with `kind` ("fastapi" or "vivace") and write the documents."""
    if kind == "vivace":
        import vivace.compat

        vivace.compat.install()
    sys.path.insert(0, str(src))
    results = {name: _dump_one(name) for name in names}
    out.write_text(json.dumps(results), encoding="utf-8")


def _run_child(kind: str, src: Path, names: list[str], workdir: Path) -> dict[str, Any]:
    out = workdir / f"{kind}.json"
    names_file = workdir / "names.json"
    names_file.write_text(json.dumps(names), encoding="utf-8")
    cmd = [
        sys.executable,
        __file__,
        "--dump",
        kind,
        "--fastapi-src",
        str(src),
        "--names",
        str(names_file),
        "--out",
        str(out),
    ]
    # NOTE: tutorial modules create files (sqlite databases) in the working directory: give them a scratch one.
    # A fixed hash seed gives both processes the same set order (multi-method routes iterate a set of methods).
    subprocess.run(cmd, check=True, cwd=workdir, env={**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONHASHSEED": "0"})
    return json.loads(out.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _short_diff(expected: Any, actual: Any, lines: int) -> str:
    def render(doc: Any) -> list[str]:
        return json.dumps(doc, indent=1).splitlines()

    if expected == actual:
        diff = difflib.unified_diff(render(expected), render(actual), "fastapi", "vivace", n=1, lineterm="")
        head = "  (same content, different key order)\n"
    else:
        exp = json.dumps(expected, indent=1, sort_keys=True).splitlines()
        act = json.dumps(actual, indent=1, sort_keys=True).splitlines()
        diff = difflib.unified_diff(exp, act, "fastapi", "vivace", n=1, lineterm="")
        head = ""
    body = list(diff)[2:]
    shown = "\n".join("    " + line for line in body[:lines])
    more = f"\n    ... {len(body) - lines} more diff lines" if len(body) > lines else ""
    return head + shown + more


def compare(src: Path, pattern: str, diff_lines: int) -> int:
    names = _module_names(src, pattern)
    with tempfile.TemporaryDirectory() as tmp:
        expected = _run_child("fastapi", src, names, Path(tmp))
        actual = _run_child("vivace", src, names, Path(tmp))
    total = equal = 0
    report = []
    for name in names:
        exp = expected.get(name, {})
        if "doc" not in exp:
            continue
        total += 1
        act = actual.get(name, {})
        if "doc" in act and json.dumps(act["doc"]) == json.dumps(exp["doc"]):
            equal += 1
            continue
        if "doc" not in act:
            report.append(f"- {name}: vivace failed: {act.get('error') or act.get('skip')}")
        else:
            report.append(f"- {name}:\n{_short_diff(exp['doc'], act['doc'], diff_lines)}")
    for line in report:
        print(line)
    print(f"{equal} equal of {total}")
    return 0 if equal == total else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fastapi-src", default=DEFAULT_SRC, type=Path)
    parser.add_argument("-k", default="", help="only modules whose dotted name contains this text")
    parser.add_argument("--diff-lines", default=12, type=int)
    parser.add_argument("--dump", choices=["fastapi", "vivace"], help=argparse.SUPPRESS)
    parser.add_argument("--names", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dump:
        dump(args.dump, args.fastapi_src, json.loads(args.names.read_text(encoding="utf-8")), args.out)
        return 0
    return compare(args.fastapi_src, args.k, args.diff_lines)


if __name__ == "__main__":
    sys.exit(main())
