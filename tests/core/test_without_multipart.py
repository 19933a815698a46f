"""python-multipart is optional, as in FastAPI: vivace imports without it and refuses form routes when declared."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys
    sys.modules["python_multipart"] = None  # as if the package were not installed
    sys.modules["multipart"] = None
    from typing import Annotated
    from vivace import FastAPI, Form
    from vivace.testclient import TestClient

    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    assert TestClient(app).get("/hello").json() == {"hello": "world"}
    try:
        @app.post("/login")
        async def login(username: Annotated[str, Form()]) -> str:
            return username
    except RuntimeError as error:
        print(error)
    """
)


def test_vivace_works_without_python_multipart_until_a_form_is_declared() -> None:
    """JSON routes serve; declaring a form parameter raises a RuntimeError naming the package to install."""
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert 'Form data requires "python-multipart" to be installed.' in result.stdout
    assert "pip install python-multipart" in result.stdout
