# Who a request counts against: its address, its user, or anything a function reads from the request.
from typing import Annotated

from vivace import Depends, FastAPI, Header, HTTPException, Request
from vivace.ratelimit import RateLimit, forwarded_for

app = FastAPI()


def current_user(authorization: Annotated[str | None, Header()] = None) -> str | None:
    """The user behind a bearer token, or None for anonymous requests."""
    if authorization is None:
        return None
    if not authorization.startswith("Bearer "):
        raise HTTPException(status_code=401, detail="Bearer token expected")
    return authorization.removeprefix("Bearer ")


# Documented on every operation that depends on it (see "In the OpenAPI document").
current_user.__openapi_responses__ = {  # type: ignore[attr-defined]
    401: {
        "description": "The Authorization header is not a bearer token",
        "content": {"application/json": {"schema": {"type": "object", "properties": {"detail": {"type": "string"}}}}},
    }
}


# Per user: the dependency's value is the key; anonymous requests (None) count per address.
per_user = RateLimit("100/hour", key=Depends(current_user))


@app.get("/feed", dependencies=[Depends(per_user)])
async def feed() -> list[str]:
    return ["news"]


def api_key(request: Request) -> str:
    return request.headers.get("x-api-key", "anonymous")


# Per API key: any function of the request.
per_key = RateLimit("10/second", key=api_key)


@app.get("/quotes", dependencies=[Depends(per_key)])
async def quotes() -> list[float]:
    return [1.07, 1.08]


# Behind exactly one proxy of yours, which appends the client address to X-Forwarded-For.
behind_proxy = RateLimit("20/minute", key=forwarded_for(trusted_proxies=1))


@app.get("/upload-url", dependencies=[Depends(behind_proxy)])
async def upload_url() -> dict[str, str]:
    return {"url": "https://files.example.com/put/123"}
