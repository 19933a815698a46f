"""A callable's typed signature is read once and reused while nothing it is computed from changes: a dependency
shared by many routes is inspected once; a replaced `__signature__`, `__annotations__` or default is seen at once;
the cache keeps no callable alive."""

import gc
import inspect
import weakref
from collections.abc import Callable, Iterator
from typing import Annotated, Any, ForwardRef

import pytest

from vivace import Depends, FastAPI
from vivace.dependencies.utils import get_typed_signature
from vivace.testclient import TestClient


@pytest.fixture
def inspected(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every object `inspect.signature` is asked about while the test runs."""
    seen: list[Any] = []
    original = inspect.signature

    def counting(obj: Any, *args: Any, **kwargs: Any) -> inspect.Signature:
        seen.append(obj)
        return original(obj, *args, **kwargs)

    monkeypatch.setattr(inspect, "signature", counting)
    yield seen


def _app_with_routes(dependency: Callable[..., Any], count: int) -> TestClient:
    app = FastAPI()
    for index in range(count):

        @app.get(f"/r{index}")
        def endpoint(value: Annotated[Any, Depends(dependency)]) -> Any:
            return value

    return TestClient(app)


def test_a_dependency_shared_by_many_routes_is_inspected_once(inspected: list[Any]) -> None:
    def shared(q: str = "x") -> str:
        return q

    client = _app_with_routes(shared, 5)
    for index in range(5):
        assert client.get(f"/r{index}", params={"q": str(index)}).json() == str(index)
    assert sum(1 for obj in inspected if obj is shared) == 1


def test_a_shared_callable_instance_is_inspected_once(inspected: list[Any]) -> None:
    class Reader:
        def __call__(self, q: int = 0) -> int:
            return q * 2

    reader = Reader()
    client = _app_with_routes(reader, 4)
    for index in range(4):
        assert client.get(f"/r{index}", params={"q": index}).json() == index * 2
    assert sum(1 for obj in inspected if obj is reader) == 1


def test_a_replaced_signature_is_used_by_the_next_declaration() -> None:
    def dependency(**kwargs: Any) -> dict[str, Any]:
        return kwargs

    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("q", inspect.Parameter.KEYWORD_ONLY, annotation=str, default="a")]
    )
    first = _app_with_routes(dependency, 1)
    assert first.get("/r0", params={"q": "z"}).json() == {"q": "z"}
    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("limit", inspect.Parameter.KEYWORD_ONLY, annotation=int, default=3)]
    )
    second = _app_with_routes(dependency, 1)
    assert second.get("/r0", params={"limit": "7", "q": "z"}).json() == {"limit": 7}
    assert second.get("/r0", params={"limit": "x"}).status_code == 422


def test_replaced_or_edited_annotations_are_used_by_the_next_declaration() -> None:
    def dependency(q: str = "1") -> Any:
        return q

    assert _app_with_routes(dependency, 1).get("/r0", params={"q": "abc"}).json() == "abc"
    dependency.__annotations__ = {"q": int, "return": Any}
    assert _app_with_routes(dependency, 1).get("/r0", params={"q": "abc"}).status_code == 422
    dependency.__annotations__["q"] = str
    assert _app_with_routes(dependency, 1).get("/r0", params={"q": "abc"}).json() == "abc"


def test_replaced_defaults_are_used_by_the_next_declaration() -> None:
    def dependency(q: str = "first") -> str:
        return q

    assert _app_with_routes(dependency, 1).get("/r0").json() == "first"
    dependency.__defaults__ = ("second",)
    assert _app_with_routes(dependency, 1).get("/r0").json() == "second"


def test_string_annotations_follow_their_module_globals() -> None:
    namespace: dict[str, Any] = {}
    exec("def dependency(q: 'Kind'): pass", namespace)  # NOTE: a module whose globals the test changes
    assert isinstance(get_typed_signature(namespace["dependency"]).parameters["q"].annotation, ForwardRef)
    namespace["Kind"] = int
    assert get_typed_signature(namespace["dependency"]).parameters["q"].annotation is int
    namespace["Kind"] = str
    assert get_typed_signature(namespace["dependency"]).parameters["q"].annotation is str


def test_the_cache_keeps_no_callable_alive() -> None:
    class Reader:
        def __call__(self, q: int = 0) -> int:
            return q

    def dependency(q: int = 0) -> int:
        return q

    reader = Reader()
    refs: list[weakref.ref[Any]] = [weakref.ref(dependency), weakref.ref(reader)]
    assert list(get_typed_signature(dependency).parameters) == ["q"]
    assert list(get_typed_signature(reader).parameters) == ["q"]
    del dependency, reader
    gc.collect()
    assert [ref() for ref in refs] == [None, None]


def test_bound_methods_and_unhashable_instances_read_their_own_signature() -> None:
    class Store:
        __hash__ = None  # type: ignore[assignment]

        def read(self, q: int = 0) -> int:
            return q

        def __call__(self, limit: int = 1) -> int:
            return limit

    first, second = Store(), Store()
    assert list(get_typed_signature(first.read).parameters) == ["q"]
    assert list(get_typed_signature(first).parameters) == ["limit"]
    Store.__call__ = lambda self, other=2: other  # type: ignore[method-assign,assignment,misc]
    assert list(get_typed_signature(second).parameters) == ["other"]
    assert list(get_typed_signature(first).parameters) == ["other"]


def test_a_collected_callable_leaves_a_newer_entry_with_its_id_alone() -> None:
    """The weak reference's callback drops only its own entry, never one a later callable took over."""
    from vivace._core import signature

    def first(a: int) -> None: ...

    signature.get_typed_signature(first)
    key = id(first)
    old_ref = signature._SIGNATURES[key][0]

    def second(b: str) -> None: ...

    signature._SIGNATURES[key] = (weakref.ref(second), (), inspect.Signature())  # as if `second` reused the id
    old_ref.__callback__(old_ref)  # type: ignore[misc]
    assert key in signature._SIGNATURES
    del signature._SIGNATURES[key]
