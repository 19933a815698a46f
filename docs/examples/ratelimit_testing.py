# Testing a limit without sleeping: a memory backend with a clock the test moves.
from vivace import Depends, FastAPI
from vivace.ratelimit import MemoryRateLimitBackend, RateLimit
from vivace.testclient import TestClient


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_one_request_back_every_twenty_seconds() -> None:
    clock = FakeClock()
    app = FastAPI()

    @app.get("/ping", dependencies=[Depends(RateLimit("3/minute", backend=MemoryRateLimitBackend(clock=clock)))])
    async def ping() -> str:
        return "pong"

    client = TestClient(app)
    assert [client.get("/ping").status_code for _ in range(4)] == [200, 200, 200, 429]
    clock.now += 20
    assert [client.get("/ping").status_code for _ in range(2)] == [200, 429]
