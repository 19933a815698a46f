import time

from vivace import FastAPI

app = FastAPI()


@app.get("/users/{user_id}")
async def read_user(user_id: str) -> dict[str, str]:
    return {"id": user_id}


@app.get("/users/me")
async def read_me() -> dict[str, str]:
    return {"id": "the current user"}


@app.get("/reports/{report_id}")
async def build_report(report_id: int) -> dict[str, int]:
    time.sleep(2)  # stands for slow, synchronous work
    return {"report": report_id}
