from typing import Annotated

from vivace import Cookie, Depends, FastAPI, Query, WebSocket, WebSocketDisconnect, WebSocketException, status

app = FastAPI()


class Room:
    """The connections of one chat room."""

    def __init__(self) -> None:
        self.members: dict[str, WebSocket] = {}

    async def broadcast(self, text: str) -> None:
        for websocket in self.members.values():
            await websocket.send_text(text)


rooms: dict[int, Room] = {}


# A dependency: the same Query, Cookie and Depends as on HTTP routes; a WebSocketException refuses the connection.
async def nickname(
    token: Annotated[str | None, Query()] = None,
    session: Annotated[str | None, Cookie()] = None,
) -> str:
    name = token or session
    if name is None:
        raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason="log in first")
    return name


@app.websocket("/rooms/{room_id}")
async def chat(websocket: WebSocket, room_id: int, name: Annotated[str, Depends(nickname)]) -> None:
    room = rooms.setdefault(room_id, Room())
    await websocket.accept()
    room.members[name] = websocket
    await room.broadcast(f"{name} joined room {room_id}")
    try:
        while True:
            text = await websocket.receive_text()
            await room.broadcast(f"{name}: {text}")
    except WebSocketDisconnect:
        del room.members[name]
        await room.broadcast(f"{name} left")
