# Run code written for FastAPI, unchanged, on vivace: install the alias before anything imports fastapi.
import vivace.compat

vivace.compat.install()

from fastapi import FastAPI  # noqa: E402 - must come after install()
from fastapi.responses import JSONResponse  # noqa: E402

app = FastAPI()


@app.get("/ping")
async def ping() -> JSONResponse:
    return JSONResponse({"pong": True})
