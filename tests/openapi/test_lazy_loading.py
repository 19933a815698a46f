"""The OpenAPI generator and document models cost nothing until a document is asked for (startup time)."""

import subprocess
import sys

PROBE = """
import sys
import vivace
import vivace.openapi.models as models
from vivace.security import OAuth2PasswordBearer

before = ("vivace.openapi.utils" in sys.modules, models.OpenAPI.__pydantic_complete__, "email_validator" in sys.modules)
app = vivace.FastAPI()
scheme = OAuth2PasswordBearer(tokenUrl="token")

@app.get("/items/{item_id}")
async def read_item(item_id: int, token: str = vivace.Depends(scheme)) -> dict[str, int]:
    return {"item_id": item_id}

document = app.openapi()
after = ("vivace.openapi.utils" in sys.modules, models.OpenAPI.__pydantic_complete__)
print(before, after, sorted(document["components"]["securitySchemes"]), sorted(document["paths"]))
"""


def test_import_loads_no_generator_and_builds_no_document_model() -> None:
    """`import vivace` leaves the generator unloaded and the models unbuilt; app.openapi() loads and builds them."""
    done = subprocess.run([sys.executable, "-W", "error", "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    expected = "(False, False, False) (True, True) ['OAuth2PasswordBearer'] ['/items/{item_id}']"
    assert done.stdout.strip() == expected


def test_the_generator_is_still_reachable_from_the_applications_module() -> None:
    """`vivace.applications.get_openapi` resolves on first access (PEP 562), and unknown names still fail."""
    import pytest

    import vivace.applications as applications
    from vivace.openapi.utils import get_openapi

    assert applications.get_openapi is get_openapi
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        applications.nope  # noqa: B018 - the attribute access is the test
