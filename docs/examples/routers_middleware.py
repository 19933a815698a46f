# Middleware that wraps one router's routes: an API key for the admin routes, a timing header for all API routes.
import time

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vivace import APIRouter, FastAPI
from vivace.responses import JSONResponse


class RequireKey:
    """Answers 401 itself, without calling the route, unless the request carries the right X-Key."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        self.key = key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(b"x-key") != self.key:
            await JSONResponse({"detail": "Missing or wrong X-Key"}, status_code=401)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class ServerTiming:
    """Adds `Server-Timing: <name>;dur=<ms>` to every response that passes through."""

    def __init__(self, app: ASGIApp, name: str) -> None:
        self.app = app
        self.name = name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = (time.perf_counter() - started) * 1000
                header = f"{self.name};dur={elapsed:.2f}".encode()
                message["headers"] = [*message.get("headers", []), (b"server-timing", header)]
            await send(message)

        await self.app(scope, receive, timed_send)


# The inner router: its own middleware, and the route's path parameters already in the scope it sees.
admin = APIRouter(prefix="/admin", middleware=[Middleware(RequireKey, key="s3cret")])


@admin.delete("/users/{user_id}")
async def delete_user(user_id: int) -> dict[str, int]:
    return {"deleted": user_id}


# The outer router: first listed = outermost; its middleware wraps the inner router's too.
api = APIRouter(
    prefix="/api",
    middleware=[Middleware(ServerTiming, name="total"), Middleware(ServerTiming, name="api")],
)


@api.get("/status")
async def status() -> dict[str, str]:
    return {"status": "ok"}


api.include_router(admin)

app = FastAPI()
app.include_router(api)


# Not under any router middleware: served exactly as before.
@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
