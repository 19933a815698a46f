# Tasks use the app's dependencies: an app-scoped engine is shared with the routes and closed at shutdown.
import os
from collections.abc import Iterator
from typing import Annotated

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from vivace import Depends, FastAPI
from vivace.tasks import TaskInfo, Tasks, current_task


def get_engine() -> Iterator[Engine]:
    engine = create_engine(os.environ.get("DATABASE_URL", "sqlite:///reports.db"))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS reports (id TEXT PRIMARY KEY, rows INTEGER)"))
    yield engine
    engine.dispose()  # when the app (or the worker) stops


def get_session(engine: Annotated[Engine, Depends(get_engine, scope="app")]) -> Iterator[Session]:
    with Session(engine) as session:  # one per task run, closed when the run ends
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

app = FastAPI()
tasks = Tasks()
tasks.install(app)


@tasks.task
def build_report(rows: int, session: SessionDep, task: Annotated[TaskInfo, Depends(current_task)]) -> str:
    # The idempotency key (the task id, unless given) makes a second delivery a no-op for the database too.
    session.execute(text("INSERT OR IGNORE INTO reports VALUES (:id, :rows)"), {"id": task.key, "rows": rows})
    session.commit()
    return task.key


@app.post("/reports")
async def request_report(rows: int) -> dict[str, str]:
    return {"task": (await build_report.enqueue(rows)).id}


@app.get("/reports")
def list_reports(session: SessionDep) -> list[int]:
    return list(session.execute(text("SELECT rows FROM reports ORDER BY rows")).scalars())
