"""Loading the documentation's code samples (docs/examples/*.py) in tests, shared by every test_*_examples.py."""

import importlib.util
from pathlib import Path
from types import ModuleType

from vivace.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "docs" / "examples"


def load(name: str) -> ModuleType:
    """Import docs/examples/<name>.py as a fresh module, so module-level state starts clean in each test."""
    spec = importlib.util.spec_from_file_location(f"docs_example_{name}", SAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def client_for(name: str) -> TestClient:
    """A TestClient for the `app` of docs/examples/<name>.py."""
    return TestClient(load(name).app)
