import contextvars
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

from vivace import FastAPI, Request, Response
from vivace.middleware.cors import CORSMiddleware
from vivace.middleware.gzip import GZipMiddleware
from vivace.responses import JSONResponse, StreamingResponse

app = FastAPI()

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


# A function middleware: code before call_next runs on the way in, code after it on the way out.
@app.middleware("http")
async def add_timing(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    started = time.perf_counter()
    request_id.set(request.headers.get("X-Request-ID") or uuid.uuid4().hex)
    try:
        response = await call_next(request)
    except Exception:
        # an unhandled error in the endpoint arrives here, as in FastAPI
        return JSONResponse({"detail": "Something broke", "request_id": request_id.get()}, status_code=500)
    response.headers["X-Request-ID"] = request_id.get()
    response.headers["X-Process-Time"] = f"{time.perf_counter() - started:.4f}"
    return response


# Class middleware, outermost last: CORS wraps GZip, which wraps the function middleware above.
app.add_middleware(GZipMiddleware, minimum_size=1000)
app.add_middleware(CORSMiddleware, allow_origins=["https://app.example.com"], allow_methods=["*"])


@app.get("/whoami")
async def whoami() -> dict[str, str]:
    return {"request_id": request_id.get()}


@app.get("/countdown")
async def countdown() -> StreamingResponse:
    async def lines() -> AsyncIterator[str]:
        for n in range(3, 0, -1):
            yield f"{n}\n"

    return StreamingResponse(lines(), media_type="text/plain")


@app.get("/fail")
async def fail() -> None:
    raise RuntimeError("database unreachable")
