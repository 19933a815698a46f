# One budget per client across every worker process: the counters live in Redis.
import os

from vivace import Depends, FastAPI
from vivace.ratelimit import RateLimit
from vivace.ratelimit.redis import RedisRateLimitBackend

limits = RedisRateLimitBackend(os.environ.get("REDIS_URL", "redis://localhost:6379/0"))

app = FastAPI()


# If Redis cannot be reached while serving, let requests through (the default) ...
@app.get("/articles", dependencies=[Depends(RateLimit("120/minute", backend=limits))])
async def articles() -> list[str]:
    return ["first", "second"]


# ... or refuse them with a 503 until it is back.
payments_limit = RateLimit("10/minute", backend=limits, on_backend_error="fail_closed")


@app.post("/payments", dependencies=[Depends(payments_limit)])
async def pay() -> dict[str, str]:
    return {"status": "accepted"}
