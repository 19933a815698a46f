# Testing: run each enqueued task before enqueue() returns, and replace dependencies as for routes.
from typing import Annotated

from vivace import Depends, FastAPI
from vivace.tasks import Tasks
from vivace.testclient import TestClient


class Mailer:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, to: str) -> None:
        raise RuntimeError("no mail server in this sample")


def get_mailer() -> Mailer:
    return Mailer()


app = FastAPI()
tasks = Tasks()
tasks.install(app)


@tasks.task
async def send_receipt(email: str, mailer: Annotated[Mailer, Depends(get_mailer, scope="app")]) -> None:
    mailer.send(email)


@app.post("/checkout")
async def checkout(email: str) -> dict[str, str]:
    return {"task": (await send_receipt.enqueue(email)).id}


class FakeMailer(Mailer):
    def send(self, to: str) -> None:
        self.sent.append(to)


def test_checkout_sends_a_receipt() -> None:
    fake = FakeMailer()
    app.dependency_overrides[get_mailer] = lambda: fake
    with tasks.inline(), TestClient(app) as client:
        client.post("/checkout", params={"email": "ada@example.org"})
    app.dependency_overrides.clear()
    assert fake.sent == ["ada@example.org"]
