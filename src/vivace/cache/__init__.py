"""Response caching for path operations: keys, ETags and 304s, invalidation by key and tag, stampede protection.

```python
cache = Cache()  # memory; `vivace.cache.redis.RedisCacheBackend` shares entries between processes


@app.get("/notes")
@cache.cached(ttl=60, tags=["notes"])
async def list_notes() -> list[Note]: ...
```

The guide's "Caching" page explains the options, the headers and running several workers.
"""

from vivace.cache._backend import CacheBackend, Claim
from vivace.cache._cache import Cache
from vivace.cache._entry import Entry
from vivace.cache._memory import MemoryCacheBackend
from vivace.cache._policy import CachePolicy

__all__ = ["Cache", "CacheBackend", "CachePolicy", "Claim", "Entry", "MemoryCacheBackend"]
