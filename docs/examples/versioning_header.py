"""API versions by header: the same paths, `Accept-Version: 1` or `2` picks the version (2 without it)."""

from datetime import UTC, datetime

from vivace import APIRouter, FastAPI
from vivace.versioning import Deprecation, Versions, version

app = FastAPI()
versions = Versions(app, ["1", "2"], header="Accept-Version")
router = APIRouter()


@router.get("/greeting")
@version(removed="2")
async def greeting_v1() -> str:
    return "hello"


@router.get("/greeting")
@version(since="2")
async def greeting() -> dict[str, str]:
    return {"text": "hello"}


@router.get("/legacy-search")
@version(deprecation=Deprecation(at=datetime(2025, 6, 1, tzinfo=UTC), link="https://example.com/search-v2"))
async def legacy_search(q: str) -> list[str]:
    return [q]


versions.include_router(router)
