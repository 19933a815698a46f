# A durable task: declared once, enqueued by an endpoint, its result fetched later by id.
from pydantic import BaseModel, EmailStr

from vivace import FastAPI
from vivace.tasks import Tasks

app = FastAPI()
tasks = Tasks()  # the memory backend: tasks run in this process (see "Memory or Redis")
tasks.install(app)  # start and stop with the app, use its dependencies

outbox: list[str] = []


class Welcome(BaseModel):
    to: str
    subject: str


@tasks.task(retries=3)
async def send_welcome(email: EmailStr, name: str) -> Welcome:
    outbox.append(email)  # a real task would call the mail service here
    return Welcome(to=email, subject=f"Welcome, {name}!")


@app.post("/signup", status_code=202)
async def signup(email: EmailStr, name: str) -> dict[str, str]:
    job = await send_welcome.enqueue(email, name=name)  # validated now, run in the background
    return {"task": job.id}


@app.get("/signup/{task_id}")
async def signup_status(task_id: str) -> Welcome:
    return await send_welcome.handle(task_id).result(timeout=5)
