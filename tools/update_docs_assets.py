"""Fetch the Swagger UI and ReDoc files that vivace serves for /docs and /redoc, or check them.

    python tools/update_docs_assets.py            # download the pinned versions into src/vivace/static/
    python tools/update_docs_assets.py --check    # verify the files in the tree against MANIFEST.json
    python tools/update_docs_assets.py --swagger-ui-version 5.36.0 --redoc-version 2.5.5   # move the pins

The files come from the npm registry tarballs (the same ones jsDelivr serves for FastAPI's default
CDN URLs). Each tarball is checked against the registry's `dist.integrity` hash before anything is
extracted, only the listed members are read (no archive paths touch the disk), and every written file is
recorded in MANIFEST.json with its sha256 and source URL. Only the standard library is used so the
script runs before the virtualenv exists.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REGISTRY = "https://registry.npmjs.org"
REPO = Path(__file__).resolve().parent.parent
STATIC_DIR = REPO / "src" / "vivace" / "static"
MANIFEST = STATIC_DIR / "MANIFEST.json"

# The pins. swagger-ui-dist stays on 5.x (FastAPI's CDN URL is `swagger-ui-dist@5`), redoc on 2.x
# (`redoc@2`); bump them with the command-line options, which rewrite the files and the manifest.
SWAGGER_UI_VERSION = "5.35.0"
REDOC_VERSION = "2.5.4"


@dataclass(frozen=True, slots=True)
class PackageSpec:
    """One npm package: which tarball members to keep and in what role."""

    name: str
    major: int
    # tarball member (under "package/") -> file name written under static/<name>/
    assets: dict[str, str]
    licenses: dict[str, str]


def package_specs(swagger_ui_version: str, redoc_version: str) -> list[tuple[PackageSpec, str]]:
    """The packages to fetch, each with the version to use."""
    swagger = PackageSpec(
        name="swagger-ui-dist",
        major=5,
        assets={
            "swagger-ui-bundle.js": "swagger-ui-bundle.js",
            "swagger-ui.css": "swagger-ui.css",
            "favicon-32x32.png": "favicon-32x32.png",
        },
        licenses={
            "LICENSE": "LICENSE",
            "NOTICE": "NOTICE",
            # the bundle inlines third-party code; this lists their licenses
            "swagger-ui-bundle.js.LICENSE.txt": "swagger-ui-bundle.js.LICENSE.txt",
        },
    )
    redoc = PackageSpec(
        name="redoc",
        major=2,
        assets={"bundles/redoc.standalone.js": "redoc.standalone.js"},
        licenses={
            "LICENSE": "LICENSE",
            "bundles/redoc.standalone.js.LICENSE.txt": "redoc.standalone.js.LICENSE.txt",
        },
    )
    return [(swagger, swagger_ui_version), (redoc, redoc_version)]


def _get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "vivace-update-docs-assets"})
    with urllib.request.urlopen(request, timeout=60) as response:
        data: bytes = response.read()
    return data


def _check_integrity(data: bytes, integrity: str, url: str) -> None:
    """Compare a tarball with the registry's Subresource-Integrity string (`sha512-<base64>`)."""
    algorithm, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if digest != expected:
        raise SystemExit(f"integrity mismatch for {url}: registry says {integrity}")


def fetch_package(spec: PackageSpec, version: str) -> dict[str, tuple[bytes, dict[str, Any]]]:
    """Download one package; return file path under static/ -> (content, manifest entry)."""
    metadata = json.loads(_get(f"{REGISTRY}/{spec.name}/{version}"))
    tarball_url: str = metadata["dist"]["tarball"]
    data = _get(tarball_url)
    _check_integrity(data, metadata["dist"]["integrity"], tarball_url)
    fetched = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for role, members in (("asset", spec.assets), ("license", spec.licenses)):
            for member, file_name in members.items():
                extracted = archive.extractfile(f"package/{member}")
                if extracted is None:
                    raise SystemExit(f"{tarball_url} has no regular file package/{member}")
                content = extracted.read()
                path = f"{spec.name}/{file_name}"
                fetched[path] = (
                    content,
                    {
                        "package": spec.name,
                        "version": version,
                        "license": metadata.get("license", ""),
                        "role": role,
                        "file": path,
                        "size": len(content),
                        "sha256": hashlib.sha256(content).hexdigest(),
                        "source": f"{tarball_url}#package/{member}",
                    },
                )
    return fetched


def update(swagger_ui_version: str, redoc_version: str) -> None:
    """Replace the files under static/ and rewrite the manifest, once every download has succeeded."""
    specs = package_specs(swagger_ui_version, redoc_version)
    for spec, version in specs:
        if int(version.split(".")[0]) != spec.major:
            raise SystemExit(f"{spec.name} must stay on {spec.major}.x (got {version})")
    fetched: dict[str, tuple[bytes, dict[str, Any]]] = {}
    for spec, version in specs:
        fetched.update(fetch_package(spec, version))
    for spec, _ in specs:
        target = STATIC_DIR / spec.name
        target.mkdir(parents=True, exist_ok=True)
        for stale in target.iterdir():
            stale.unlink()
    for path, (content, _) in fetched.items():
        (STATIC_DIR / path).write_bytes(content)
    entries = [entry for _, entry in fetched.values()]
    manifest = {
        "comment": "Written by tools/update_docs_assets.py; check with `--check`. Do not edit by hand.",
        "files": entries,
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    total = sum(entry["size"] for entry in entries)
    print(f"wrote {len(entries)} files ({total / 1e6:.2f} MB) and {MANIFEST.relative_to(REPO)}")


def check() -> list[str]:
    """Return one message per problem: missing, altered or unlisted files."""
    if not MANIFEST.is_file():
        return [f"{MANIFEST} is missing; run tools/update_docs_assets.py"]
    entries = json.loads(MANIFEST.read_text(encoding="utf-8"))["files"]
    problems = []
    listed = {entry["file"] for entry in entries}
    for entry in entries:
        path = STATIC_DIR / entry["file"]
        if not path.is_file():
            problems.append(f"missing: {entry['file']}")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
            problems.append(f"sha256 differs from the manifest: {entry['file']}")
    for path in sorted(STATIC_DIR.rglob("*")):
        relative = path.relative_to(STATIC_DIR).as_posix()
        if path.is_file() and path != MANIFEST and relative not in listed:
            problems.append(f"not in the manifest: {relative}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="verify the files against MANIFEST.json")
    parser.add_argument("--swagger-ui-version", default=SWAGGER_UI_VERSION)
    parser.add_argument("--redoc-version", default=REDOC_VERSION)
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        print("docs assets: " + ("FAILED" if problems else "ok"))
        return 1 if problems else 0
    update(args.swagger_ui_version, args.redoc_version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
