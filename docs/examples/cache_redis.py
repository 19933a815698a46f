# The same cache shared by every worker process, through Redis.
import os

from vivace import FastAPI
from vivace.cache import Cache
from vivace.cache.redis import RedisCacheBackend

cache = Cache(
    RedisCacheBackend(os.environ.get("REDIS_URL", "redis://localhost:6379/0")),
    namespace="notes-api",  # several applications can share one Redis
    on_unavailable="bypass",  # Redis lost: run endpoints uncached ("error": answer 503)
)
app = FastAPI()


@app.get("/report")
@cache.cached(ttl=600, tags=["reports"])
async def report() -> dict[str, int]:
    return {"total": sum(range(1_000_000))}  # stands for a slow query
