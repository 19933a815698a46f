"""API versioning: one application, several versions of its API, by path prefix or by request header.

    versions = Versions(app, ["1", Version("2"), "3"])              # /v1/..., /v2/..., /v3/...
    versions = Versions(app, ["1", "2"], header="Accept-Version")   # same paths, the header picks

    @router.get("/items/{item_id}")
    @version(removed="2")
    async def item_v1(item_id: int) -> ItemV1: ...

    @router.get("/items/{item_id}")
    @version(since="2")
    async def item(item_id: int) -> Item: ...

    versions.include_router(router)

Each version has its own OpenAPI document and docs pages (`/v2/openapi.json`, `/v2/docs`); a deprecated version or
route answers with `Deprecation` (RFC 9745) and `Sunset` (RFC 8594) headers and is `deprecated: true` in OpenAPI.
"""

from vivace.versioning._declare import Deprecation, Version, version
from vivace.versioning._versions import Versions

__all__ = ["Deprecation", "Version", "Versions", "version"]
