import time
from collections.abc import Callable, Coroutine
from typing import Any

from vivace import APIRouter, FastAPI, Request, Response
from vivace.routing import APIRoute


# A route class wraps the handler of every route declared with it.
class TimedRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def timed_handler(request: Request) -> Response:
            started = time.perf_counter()
            response = await handler(request)
            response.headers["X-Route-Time"] = f"{time.perf_counter() - started:.6f}"
            return response

        return timed_handler


router = APIRouter(route_class=TimedRoute)


@router.get("/reports/{year}")
async def report(year: int) -> dict[str, int]:
    return {"year": year}


app = FastAPI()
app.include_router(router)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
