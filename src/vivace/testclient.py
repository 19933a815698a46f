"""The test client, re-exported from Starlette under FastAPI's module path.

NOTE: Starlette 1.10's test client runs on `httpx2` when it is installed and only falls back
to `httpx` (with a `StarletteDeprecationWarning`); install `httpx2` to import this module
under `filterwarnings = error`.
"""

from starlette.testclient import TestClient as TestClient
