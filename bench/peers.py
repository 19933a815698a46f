"""The peer frameworks of `make bench PEERS=1`: which they are, and the pinned virtualenv they run in.

The peers (BlackSheep, Litestar with msgspec, a hand-written Starlette app) are not dependencies of vivace:
they live in their own virtualenv under .cache/bench-peers/, which `ensure_venv()` creates with pip the first
time a run asks for them and recreates when bench/peer-requirements.txt changes. The project's .venv is never
touched. Each peer serves the scenarios of bench/app.py from its own file (bench/peer_<name>.py), written the
way a performance-minded user of that framework would write it.
"""

import hashlib
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
REQUIREMENTS = BENCH_DIR / "peer-requirements.txt"
VENV = ROOT / ".cache" / "bench-peers" / "venv"
STAMP = VENV / ".requirements-sha256"  # the hash of the requirements the venv was built from

PEERS = ("blacksheep", "litestar", "starlette")
LABELS = {"blacksheep": "BlackSheep", "litestar": "Litestar", "starlette": "Starlette"}
TARGET = 1.25  # the goal: vivace at least 1.25x the fastest peer on every scenario
# NOTE: BlackSheep calls a plain `def` handler on the event loop (there is no thread pool in its request
# path), so its `sync-def` number measures different work: it is reported but not compared.
NOT_COMPARED = frozenset({("blacksheep", "sync-def")})


class PeerSetupError(RuntimeError):
    """The peers' virtualenv could not be created or installed."""


def venv_python() -> Path:
    return VENV / "bin" / "python"


def _wanted_hash() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def is_ready() -> bool:
    """True when the venv exists and was built from the current requirements file."""
    try:
        return venv_python().exists() and STAMP.read_text().strip() == _wanted_hash()
    except OSError:
        return False


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PeerSetupError(f"{what} failed: {(done.stderr or done.stdout).strip()[-800:]}")


def ensure_venv(log: object = None) -> Path:
    """The peers' interpreter, after creating or updating their venv if needed (a minute or two, once)."""
    if is_ready():
        return venv_python()
    if callable(log):
        log(f"creating the peers' virtualenv in {VENV} (pinned in {REQUIREMENTS.name}; once)")
    VENV.parent.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "-m", "venv", "--clear", str(VENV)], "python -m venv")
    pip = [str(venv_python()), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    _run([*pip, "install", "--upgrade", "pip"], "upgrading pip")
    _run([*pip, "install", "-r", str(REQUIREMENTS)], "installing the peers")
    STAMP.write_text(_wanted_hash() + "\n")
    return venv_python()


if __name__ == "__main__":
    print(ensure_venv(log=print))
