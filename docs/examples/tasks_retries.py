# Retries with backoff, a time limit per attempt, idempotency keys, delays, and the dead letters.
from datetime import timedelta

import httpx

from vivace import FastAPI
from vivace.tasks import Tasks

app = FastAPI()
tasks = Tasks()
tasks.install(app)


# Up to 5 attempts, 2 s then 4, 8, 16 s apart; each attempt may take 30 s; only network errors are retried.
@tasks.task(retries=4, backoff=2.0, time_limit=30, retry_on=(httpx.TransportError,))
async def notify_partner(order_id: int) -> int:
    async with httpx.AsyncClient() as client:
        response = await client.post("https://partner.example.com/orders", json={"id": order_id})
    return response.status_code


@app.post("/orders/{order_id}/paid")
async def order_paid(order_id: int) -> dict[str, str | bool]:
    # However many times the payment provider calls us back, the partner hears about the order once.
    job = await notify_partner.options(key=f"notify:{order_id}").enqueue(order_id)
    return {"task": job.id, "duplicate": job.duplicate}


@app.post("/orders/{order_id}/remind")
async def remind_later(order_id: int) -> dict[str, str]:
    job = await notify_partner.options(delay=timedelta(hours=1)).enqueue(order_id)
    return {"task": job.id}


@app.get("/admin/dead-letters")
async def dead_letters() -> list[dict[str, object]]:
    letters = await tasks.dead_letters()  # newest first
    return [{"task": d.task, "id": d.task_id, "error": d.error, "attempts": d.attempts} for d in letters]
