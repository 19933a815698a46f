# Production: tasks go through Redis to `vivace worker` processes; `vivace scheduler` sends periodic ones.
import os

from vivace import FastAPI
from vivace.tasks import Tasks
from vivace.tasks.redis import RedisTaskBackend

app = FastAPI()
tasks = Tasks(RedisTaskBackend(os.environ.get("REDIS_URL", "redis://localhost:6379/0")))
tasks.install(app)


@tasks.task(name="reports.nightly", retries=2)
async def nightly_report(team: str) -> str:
    return f"report for {team}"


nightly_report.every("0 2 * * *", team="sales")  # 02:00 UTC every day, sent by the one scheduler


@app.post("/reports/{team}")
async def report_now(team: str) -> dict[str, str]:
    return {"task": (await nightly_report.enqueue(team)).id}
