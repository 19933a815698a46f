# Rate limits on a route, on a router and on the whole app.
from typing import Annotated

from vivace import APIRouter, Depends, FastAPI
from vivace.ratelimit import RateLimit

# At most 1,000 requests an hour per client address, over all routes together.
app = FastAPI(dependencies=[Depends(RateLimit("1000/hour", name="global", shared=True))])


# 5 login attempts a minute per client address, for this route alone.
@app.post("/login", dependencies=[Depends(RateLimit("5/minute"))])
async def login() -> dict[str, str]:
    return {"token": "opaque"}


# Every route of the router gets its own budget of 30 a minute.
reports = APIRouter(prefix="/reports", dependencies=[Depends(RateLimit("30/minute"))])


@reports.get("/daily")
async def daily() -> dict[str, int]:
    return {"orders": 42}


@reports.get("/weekly")
async def weekly() -> dict[str, int]:
    return {"orders": 300}


app.include_router(reports)

# 60 a minute, but never more than 5 at once: a request is earned back every second.
smooth = RateLimit("60/minute", burst=5)


# As a parameter, like any dependency (its value is None).
@app.get("/search")
async def search(q: str, _: Annotated[None, Depends(smooth)]) -> dict[str, list[str]]:
    return {"results": [q]}
