"""The application `make soak` serves: one route of each kind a real service has, and a debug route that reports
the process's memory, descriptors, tasks and threads (this route exists in the soak app only)."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field

from vivace import Depends, FastAPI, Form, HTTPException, Response, UploadFile, WebSocket, WebSocketDisconnect
from vivace.sse import EventSourceResponse

app = FastAPI(title="soak")
counters = {"opened": 0, "closed": 0}


class Item(BaseModel):
    name: str = Field(max_length=100)
    price: float
    tags: list[str] = []


async def tracked_resource() -> AsyncIterator[int]:
    counters["opened"] += 1
    try:
        yield counters["opened"]
    finally:
        counters["closed"] += 1


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: str | None = None) -> dict[str, Any]:
    return {"item_id": item_id, "q": q}


@app.post("/items")
async def create_item(item: Item) -> Item:
    return item


@app.post("/form")
async def form(name: Annotated[str, Form()], age: Annotated[int, Form()]) -> dict[str, Any]:
    return {"name": name, "age": age}


@app.post("/upload", max_body_size=1024 * 1024)
async def upload(file: UploadFile, note: Annotated[str, Form()]) -> dict[str, Any]:
    data = await file.read()
    return {"size": len(data), "note": note}


@app.get("/with-resource")
async def with_resource(resource: Annotated[int, Depends(tracked_resource)]) -> dict[str, int]:
    return {"resource": resource}


@app.get("/sync")
def sync_route(n: int = 0) -> dict[str, int]:
    return {"n": n * 2}


@app.get("/lines")
async def lines(resource: Annotated[int, Depends(tracked_resource)]) -> AsyncIterable[dict[str, int]]:
    for n in range(20):
        yield {"n": n}


@app.get("/events", response_class=EventSourceResponse)
async def events(count: int = 5) -> AsyncIterable[dict[str, int]]:
    for n in range(count):
        yield {"n": n}
        await asyncio.sleep(0.005)


@app.get("/forever", response_class=EventSourceResponse)
async def forever(resource: Annotated[int, Depends(tracked_resource)]) -> AsyncIterable[dict[str, int]]:
    n = 0
    while True:
        yield {"n": n}
        n += 1
        await asyncio.sleep(0.01)


@app.get("/teapot")
async def teapot() -> None:
    raise HTTPException(status_code=418, detail="I'm a teapot")


@app.get("/bad-header")
async def bad_header(response: Response) -> dict[str, str]:
    response.headers["x-bad"] = "a\r\nb"
    return {"never": "sent"}


@app.websocket("/echo")
async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


@app.get("/_soak/stats")
async def stats() -> dict[str, int]:
    """The process's resident memory, open descriptors, asyncio tasks and threads, and resources still open."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {
        "rss_kib": int(status["VmRSS"].split()[0]),
        "fds": len(os.listdir("/proc/self/fd")),
        "tasks": len(asyncio.all_tasks()),
        "threads": threading.active_count(),
        "open_resources": counters["opened"] - counters["closed"],
    }
