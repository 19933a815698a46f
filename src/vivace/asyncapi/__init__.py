"""AsyncAPI 3.0 documents for an application's WebSocket and Server-Sent Events endpoints.

    asyncapi = AsyncAPI(app)        # serves /asyncapi.json and the page /asyncapi

    @app.websocket("/chat")
    @messages(receives=ChatIn, sends=ChatOut)
    async def chat(websocket: WebSocket): ...

SSE endpoints need nothing more: their item types are the messages. Other message carriers add their channels
with `asyncapi.add_source(...)` (anything with an `asyncapi_channels()` method returning `ChannelSpec`s).
"""

from vivace.asyncapi._document import build_document
from vivace.asyncapi._serve import AsyncAPI
from vivace.asyncapi._spec import ChannelSource, ChannelSpec, MessageSpec, messages

__all__ = ["AsyncAPI", "ChannelSource", "ChannelSpec", "MessageSpec", "build_document", "messages"]
