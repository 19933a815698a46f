"""What an AsyncAPI document is written from: channels and their messages, independent of where they come from.

`ChannelSpec` is the extension point: WebSocket and SSE routes are turned into specs by `_routes.py`; anything
else that carries messages (vivace.channels, say) can hand specs to `AsyncAPI.add_source(...)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

__all__ = ["ChannelSource", "ChannelSpec", "MessageSpec", "declared_messages", "messages"]

F = TypeVar("F", bound=Callable[..., Any])

_MARK = "__vivace_asyncapi_messages__"


@dataclass(frozen=True)
class MessageSpec:
    """One kind of message: the Python type of its payload (a Pydantic model or any type Pydantic describes)."""

    payload: Any
    #: the message's name on the wire, when it has one (an SSE event name, say)
    name: str | None = None
    title: str | None = None
    summary: str | None = None
    description: str | None = None
    content_type: str = "application/json"


@dataclass(frozen=True)
class ChannelSpec:
    """One channel: where it is (`address`, with `{name}` path parameters) and what flows each way.

    `sends` are the messages the application sends (server to client), `receives` those it receives.
    """

    key: str
    address: str
    sends: Sequence[MessageSpec] = ()
    receives: Sequence[MessageSpec] = ()
    title: str | None = None
    summary: str | None = None
    description: str | None = None
    #: AsyncAPI Parameter Objects by name (the address's `{name}` expressions)
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: AsyncAPI channel bindings (`{"ws": {...}}`)
    bindings: dict[str, Any] = field(default_factory=dict)
    #: AsyncAPI operation bindings, applied to this channel's operations (`{"http": {...}}`)
    operation_bindings: dict[str, Any] = field(default_factory=dict)


class ChannelSource(Protocol):
    """Anything that describes channels of its own (for `AsyncAPI.add_source`)."""

    def asyncapi_channels(self) -> Iterable[ChannelSpec]: ...


def _specs(declared: Any) -> tuple[MessageSpec, ...]:
    if declared is None:
        return ()
    items = declared if isinstance(declared, list | tuple) else [declared]
    return tuple(item if isinstance(item, MessageSpec) else MessageSpec(item) for item in items)


@dataclass(frozen=True)
class _Declared:
    sends: tuple[MessageSpec, ...]
    receives: tuple[MessageSpec, ...]
    description: str | None


def messages(*, sends: Any = None, receives: Any = None, description: str | None = None) -> Callable[[F], F]:
    """Declare the messages a WebSocket (or SSE) endpoint exchanges, for the AsyncAPI document only.

    `sends`: what the endpoint sends to the client; `receives`: what it expects from it. Each is a type, a
    `MessageSpec`, or a list of them (one message per item). On an SSE endpoint, `sends` replaces the messages
    read from its item type. Nothing is validated at run time.
    """
    declared = _Declared(_specs(sends), _specs(receives), description)

    def decorator(endpoint: F) -> F:
        setattr(endpoint, _MARK, declared)
        return endpoint

    return decorator


def declared_messages(endpoint: Any) -> tuple[tuple[MessageSpec, ...], tuple[MessageSpec, ...], str | None] | None:
    """(sends, receives, description) declared with `@messages`, or None."""
    declared = getattr(endpoint, _MARK, None)
    if not isinstance(declared, _Declared):
        return None
    return declared.sends, declared.receives, declared.description
