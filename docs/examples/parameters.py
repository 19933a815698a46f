from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from vivace import Cookie, FastAPI, Header, Path, Query

app = FastAPI()


class Size(StrEnum):
    small = "small"
    large = "large"


# Path parameters: converted and validated from the URL.
@app.get("/shirts/{size}/{shirt_id}")
async def read_shirt(size: Size, shirt_id: Annotated[int, Path(ge=1)]) -> dict[str, object]:
    return {"size": size, "shirt_id": shirt_id}


# Query parameters: anything that is not in the path and has a simple type.
@app.get("/search")
async def search(
    q: Annotated[str, Query(min_length=2, max_length=50)],
    page: int = 1,
    tags: Annotated[list[str] | None, Query()] = None,
    exact: bool = False,
) -> dict[str, object]:
    return {"q": q, "page": page, "tags": tags, "exact": exact}


# A group of query parameters declared once as a model.
class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=10, ge=1, le=100)
    offset: int = Field(default=0, ge=0)
    order: Literal["asc", "desc"] = "asc"


@app.get("/products")
async def list_products(filters: Annotated[Filters, Query()]) -> Filters:
    return filters


# Headers (underscores become hyphens) and cookies.
@app.get("/whoami")
async def whoami(
    user_agent: Annotated[str | None, Header()] = None,
    x_request_id: Annotated[str | None, Header()] = None,
    session: Annotated[str | None, Cookie()] = None,
) -> dict[str, str | None]:
    return {"user_agent": user_agent, "request_id": x_request_id, "session": session}
