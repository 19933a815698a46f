# A chat room shared by WebSocket and SSE clients; with REDIS_URL set, across every worker process.
import os
from collections.abc import AsyncIterator
from typing import Annotated

from pydantic import BaseModel

from vivace import Depends, FastAPI, Header, WebSocket, WebSocketDisconnect
from vivace.channels import Channels, Message, Subscription
from vivace.sse import EventSourceResponse, ServerSentEvent


def make_channels() -> Channels:
    redis_url = os.environ.get("REDIS_URL")
    if redis_url is None:
        return Channels()  # in memory: subscribers of this process only
    from vivace.channels.redis import RedisChannelBackend  # noqa: PLC0415 - the redis extra is only needed here

    return Channels(RedisChannelBackend(redis_url, history=1000, max_age=3600))


channels = make_channels()
ChannelsDep = Annotated[Channels, Depends(channels.connect, scope="app")]

app = FastAPI()


class Post(BaseModel):
    author: str
    text: str


@app.post("/rooms/{room}/posts", status_code=201)
async def add_post(room: str, post: Post, channels: ChannelsDep) -> dict[str, str]:
    message_id = await channels.publish(f"room:{room}", post)
    return {"id": message_id}


@app.websocket("/rooms/{room}/chat")
async def chat(websocket: WebSocket, room: str, name: str, channels: ChannelsDep) -> None:
    async def said(text: str | bytes) -> None:
        if isinstance(text, str):
            await channels.publish(f"room:{room}", Post(author=name, text=text))

    await channels.relay(websocket, f"room:{room}", on_receive=said)


async def room_feed(
    room: str, channels: ChannelsDep, last_event_id: Annotated[str | None, Header()] = None
) -> AsyncIterator[Subscription]:
    async with channels.subscribe(f"room:{room}", last_id=last_event_id, overflow="disconnect") as subscription:
        yield subscription


@app.get("/rooms/{room}/events", response_class=EventSourceResponse)
async def room_events(subscription: Annotated[Subscription, Depends(room_feed)]) -> AsyncIterator[ServerSentEvent]:
    async for item in subscription:
        yield item.event()


@app.websocket("/rooms/{room}/texts")
async def texts(websocket: WebSocket, room: str, channels: ChannelsDep) -> None:
    async with channels.subscribe(f"room:{room}") as subscription:
        await websocket.accept()  # once subscribed: an open connection misses nothing
        try:
            async for item in subscription:
                if isinstance(item, Message):
                    await websocket.send_json({"id": item.id, "text": item.data["text"]})
        except WebSocketDisconnect:
            pass  # the client left: leaving the block unsubscribes
