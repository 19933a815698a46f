"""Shared setup for the example app's tests (test_app.py) and the documentation samples' (test_docs_examples.py).

NOTE: `examples/` and `docs/examples/` live at the repository root, which is not on `sys.path` when pytest
is started as `.venv/bin/pytest`; `make run` (uvicorn) gets it from the working directory instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
