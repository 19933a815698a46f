"""An SSE route's items are told apart one by one: a value whose class claims to be a `ServerSentEvent`
(a proxy) is an event even after values of the same type that were not, and a stream's plain values are
remembered by their type only when that type cannot claim another class."""

from typing import Any

from pydantic import BaseModel

from vivace._core.stream import _reports_own_class, item_serializer, sse_item_serializer
from vivace.sse import ServerSentEvent, format_sse_event


class Point(BaseModel):
    x: int


class Proxy:
    """Stands for the object it wraps, as isinstance sees it (its `__class__` is the wrapped object's)."""

    def __init__(self, target: Any) -> None:
        self._target = target

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return type(self._target)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


def test_a_proxy_for_an_event_is_an_event_after_a_proxy_for_a_plain_value() -> None:
    """The first proxy (for a Point) is sent as data; the second, of the same type, wraps an event and is one."""
    encode = sse_item_serializer(item_serializer(lambda item: b'"plain"'))
    event = ServerSentEvent(raw_data="raw", id="1")
    assert encode(Proxy(Point(x=1))) == b'data: "plain"\n\n'
    assert encode(Proxy(event)) == format_sse_event(data_str="raw", id="1")
    assert encode(Point(x=2)) == b'data: "plain"\n\n'
    assert encode(event) == format_sse_event(data_str="raw", id="1")


def test_only_types_that_cannot_claim_another_class_are_remembered() -> None:
    """Models and the builtin value types are; a class redefining `__class__` or attribute lookup is not."""

    class Looking:
        def __getattribute__(self, name: str) -> Any:
            return object.__getattribute__(self, name)

    assert _reports_own_class(Point) and _reports_own_class(dict) and _reports_own_class(str)
    assert not _reports_own_class(Proxy)
    assert not _reports_own_class(Looking)
