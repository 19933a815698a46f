"""What `tools/ecosystem.py` runs on: the library table, each library's sdist, and each library's virtualenv.

- The table is tools/ecosystem_libraries.toml (its header says what each field means).
- A sdist is downloaded once with pip and unpacked into .cache/ecosystem/sdists/NAME-VERSION/ (never run in).
- Each library gets its own virtualenv, .cache/ecosystem/venvs/NAME/, holding the library (built from its sdist),
  its test requirements, pytest, FastAPI 0.165.0 and vivace from this working tree (editable, so a run always
  tests the current source). Starlette and Pydantic are pinned to this venv's versions, so every library runs on
  the stack vivace is tested against. A venv is rebuilt when anything that went into it changes.
- For vivace runs the real FastAPI package can be moved aside (`fastapi_hidden`), so a library sees what it
  would see where only vivace is installed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from conformance import ROOT, TOOLS, VERSION

CACHE = ROOT / ".cache" / "ecosystem"
SDISTS = CACHE / "sdists"
VENVS = CACHE / "venvs"
LIBRARIES_FILE = TOOLS / "ecosystem_libraries.toml"
# Installed in every venv on top of a library's own requirements: the runner's needs (pytest, a per-test
# timeout) and httpx2, which Starlette's TestClient prefers (it warns when it falls back to httpx).
COMMON_REQUIREMENTS = ("pytest", "pytest-timeout", "httpx2")
PINNED_FROM_THIS_VENV = ("starlette", "pydantic", "pydantic-core", "httpx2")
# NOTE: with the `standard` extra, as `fastapi[standard]` is usually installed: `import vivace` needs
# python-multipart, which vivace's core dependencies lack (FastAPI imports it only when a route reads a form).
VIVACE_REQUIREMENT = f"{ROOT}[standard]"
HIDDEN_SUFFIX = ".vivace-hidden"
_FIELDS = {"name", "version", "kind", "tests", "requirements", "extras", "pytest_args", "missing_dirs", "note"}
_LISTS = ("tests", "requirements", "extras", "pytest_args", "missing_dirs")
_REQUIRED = ("name", "version", "kind", "tests")


@dataclass(frozen=True)
class Library:
    name: str
    version: str
    kind: str
    tests: tuple[str, ...]
    requirements: tuple[str, ...] = ()
    extras: tuple[str, ...] = ()
    pytest_args: tuple[str, ...] = ()
    missing_dirs: tuple[str, ...] = ()
    note: str = ""

    @property
    def pin(self) -> str:
        return f"{self.name}=={self.version}"


def _library(entry: dict[str, Any]) -> Library:
    unknown = sorted(set(entry) - _FIELDS)
    missing = [key for key in _REQUIRED if not entry.get(key)]
    if unknown or missing:
        raise ValueError(f"library {entry.get('name', '?')}: unknown fields {unknown}, missing fields {missing}")
    fields: dict[str, Any] = dict(entry)
    for key in _LISTS:
        if key in fields:
            fields[key] = tuple(fields[key])
    return Library(**fields)


def parse_libraries(text: str) -> list[Library]:
    """The `[[library]]` entries of a TOML table, checked for unknown or missing fields and repeated names."""
    libraries = [_library(entry) for entry in tomllib.loads(text).get("library", [])]
    names = [library.name for library in libraries]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"libraries listed more than once: {', '.join(repeated)}")
    return libraries


def load_libraries(path: Path = LIBRARIES_FILE) -> list[Library]:
    return parse_libraries(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------- sdists


def _unpack(archive: Path, into: Path) -> Path:
    """Unpack a sdist (tar or zip) into `into`; return its single top-level directory."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(into)
    else:
        with tarfile.open(archive) as tar:
            tar.extractall(into, filter="data")
    (top,) = [entry for entry in into.iterdir() if entry.is_dir()]
    return top


def ensure_sdist(library: Library) -> Path:
    """The library's unpacked sdist, downloaded with pip on first use only (the archive is kept beside it)."""
    target = SDISTS / f"{library.name}-{library.version}"
    marker = target / ".vivace-extracted"
    if marker.is_file():
        return target
    SDISTS.mkdir(parents=True, exist_ok=True)
    print(f"downloading the sdist of {library.pin} ...", flush=True)
    with tempfile.TemporaryDirectory(dir=SDISTS) as staging:
        download, unpacked = Path(staging) / "download", Path(staging) / "unpacked"
        # NOTE: `--no-binary NAME`, not `:all:`: the latter also forbids wheels for the build backend pip needs
        # to read the sdist's metadata, and some backends (uv_build -> maturin) cannot be built offline.
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", library.name]
        subprocess.run([*pip, library.pin, "-d", str(download)], check=True)
        (archive,) = list(download.iterdir())
        top = _unpack(archive, unpacked)
        shutil.rmtree(target, ignore_errors=True)
        top.rename(target)
        archive.replace(SDISTS / archive.name)
    marker.write_text(f"{archive.name}\n", encoding="utf-8")
    return target


def sdist_archive(sdist: Path) -> Path:
    """The archive an unpacked sdist came from: pip installs the library from it, because building from the
    unpacked tree would leave build files in it (setuptools builds in place)."""
    return SDISTS / (sdist / ".vivace-extracted").read_text(encoding="utf-8").strip()


# ---------------------------------------------------------------------------------------------- venvs


def venv_dir(library: Library) -> Path:
    return VENVS / library.name


def venv_python(library: Library) -> Path:
    return venv_dir(library) / "bin" / "python"


def site_packages(venv: Path) -> Path:
    (found,) = list(venv.glob("lib/python*/site-packages"))
    return found


def pins() -> list[str]:
    """FastAPI 0.165.0 and this venv's Starlette/Pydantic, as pip constraints."""
    return [f"fastapi=={VERSION}", *(f"{name}=={metadata.version(name)}" for name in PINNED_FROM_THIS_VENV)]


def venv_key(library: Library) -> str:
    """Everything that goes into a library's venv: a different key means the venv is rebuilt."""
    recipe = {
        "library": [library.name, library.version, library.extras, library.requirements],
        "python": platform.python_version(),
        "common": COMMON_REQUIREMENTS,
        "vivace": VIVACE_REQUIREMENT,
        "pins": pins(),
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def _pip(python: Path, arguments: list[str], log: Path) -> None:
    command = [str(python), "-m", "pip", "install", "--disable-pip-version-check", *arguments]
    with log.open("a", encoding="utf-8") as out:
        out.write("$ " + " ".join(command) + "\n")
        out.flush()
        subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=True)


def ensure_venv(library: Library, sdist: Path) -> Path:
    """The library's venv, built (or rebuilt) when missing or out of date; raises CalledProcessError on failure."""
    venv = venv_dir(library)
    stamp = venv / ".vivace-installed"
    key = venv_key(library)
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == key:
        return venv
    print(f"building the virtualenv of {library.name} (log: {venv}.install.log) ...", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    log = venv.with_name(venv.name + ".install.log")
    log.unlink(missing_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    constraints = venv.with_name(venv.name + ".constraints.txt")
    constraints.write_text("\n".join(pins()) + "\n", encoding="utf-8")
    python = venv_python(library)
    archive = sdist_archive(sdist)
    spec = f"{library.name}[{','.join(library.extras)}] @ {archive.as_uri()}" if library.extras else str(archive)
    requirements = [spec, f"fastapi=={VERSION}", *COMMON_REQUIREMENTS, *library.requirements]
    _pip(python, ["--quiet", "-c", str(constraints), *requirements], log)
    _pip(python, ["--quiet", "-c", str(constraints), "-e", VIVACE_REQUIREMENT], log)
    stamp.write_text(key + "\n", encoding="utf-8")
    return venv


# ---------------------------------------------------------------------------------------------- pytest's root


def has_pytest_config(tree: Path) -> bool:
    """Whether `tree` holds a file pytest takes its configuration from (same names and sections as pytest)."""
    if (tree / "pytest.ini").is_file() or (tree / ".pytest.ini").is_file():
        return True
    pyproject = tree / "pyproject.toml"
    if pyproject.is_file() and "pytest" in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}):
        return True
    sections = {"tox.ini": "[pytest]", "setup.cfg": "[tool:pytest]"}
    return any(
        (tree / name).is_file() and header in (tree / name).read_text(encoding="utf-8").splitlines()
        for name, header in sections.items()
    )


def pin_pytest_root(tree: Path) -> None:
    """Give a sdist without pytest configuration an empty one, so pytest does not walk up from the work tree
    (which is inside this repository) and run the library's tests under vivace's own pytest settings."""
    if not has_pytest_config(tree):
        (tree / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------- hiding FastAPI


def _fastapi_paths(venv: Path) -> list[Path]:
    site = site_packages(venv)
    return [site / "fastapi", site / f"fastapi-{VERSION}.dist-info"]


def restore_fastapi(venv: Path) -> None:
    """Put back what an interrupted run moved aside."""
    for path in _fastapi_paths(venv):
        hidden = path.with_name(path.name + HIDDEN_SUFFIX)
        if hidden.exists() and not path.exists():
            hidden.rename(path)


@contextlib.contextmanager
def fastapi_hidden(venv: Path) -> Iterator[None]:
    """The real FastAPI package and its metadata moved aside for the duration, as if only vivace were installed:
    `importlib.metadata.version("fastapi")` then fails as it would there, and no import can reach FastAPI."""
    restore_fastapi(venv)
    moved = [path for path in _fastapi_paths(venv) if path.exists()]
    try:
        for path in moved:
            path.rename(path.with_name(path.name + HIDDEN_SUFFIX))
        yield
    finally:
        restore_fastapi(venv)
