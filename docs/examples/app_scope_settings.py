# Settings read once, when the application starts, and shared by every request.
import os
from typing import Annotated

from pydantic import BaseModel

from vivace import Depends, FastAPI
from vivace.testclient import TestClient


class Settings(BaseModel):
    service_name: str
    page_size: int


def get_settings() -> Settings:
    return Settings(
        service_name=os.environ.get("SERVICE_NAME", "notes"),
        page_size=int(os.environ.get("PAGE_SIZE", "20")),
    )


SettingsDep = Annotated[Settings, Depends(get_settings, scope="app")]

app = FastAPI()


@app.get("/info")
async def info(settings: SettingsDep) -> dict[str, str | int]:
    return {"service": settings.service_name, "page_size": settings.page_size}


# In tests, replace it like any other dependency; the replacement is app-scoped too.
def test_small_pages() -> None:
    app.dependency_overrides[get_settings] = lambda: Settings(service_name="test", page_size=2)
    try:
        with TestClient(app) as client:
            assert client.get("/info").json() == {"service": "test", "page_size": 2}
    finally:
        app.dependency_overrides.clear()
