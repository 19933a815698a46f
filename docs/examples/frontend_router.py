"""A frontend in a router, under a prefix and behind a dependency (docs/guide/frontend.md)."""

from typing import Annotated

from vivace import APIRouter, Cookie, Depends, FastAPI, HTTPException


def require_staff(session: Annotated[str | None, Cookie()] = None) -> None:
    if session != "staff":
        raise HTTPException(status_code=401, detail="Staff only")


# The router's dependencies also guard its frontend's files (for GET and HEAD requests).
admin = APIRouter(dependencies=[Depends(require_staff)])


@admin.get("/api/stats")
async def read_stats() -> dict[str, int]:
    return {"users": 42}


admin.frontend("/", directory="admin-dist", fallback="index.html")

app = FastAPI()
app.include_router(admin, prefix="/admin")
# The public site: a static site generator's output, with its own 404 page.
app.frontend("/", directory="site", fallback="404.html")
