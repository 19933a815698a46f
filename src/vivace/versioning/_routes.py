"""The route classes versioned copies are served with: deprecation headers, and the header switch.

Both override `get_route_handler` (so the application serves them through their own code, and tools that call
it get a working handler) and offer `serve_plan`, the fast path `vivace.routing.route_runner` uses: a runner built
once at startup from the plans, never a `Request` per call.

- A deprecated copy adds its `Deprecation` / `Sunset` / `Link` headers to the answer its plan sends.
- A header switch stands, in the application's routes, for every version's copy of one path and method set;
  per request it reads the version header once and hands over to that version's runner (a dict lookup).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from vivace._core.compile import compile_route
from vivace._core.runner import Runner, http_runner
from vivace.routing import APIRoute, route_runner
from vivace.versioning._declare import Deprecation

__all__ = ["HeaderSwitch", "deprecated_class", "switch_class"]


class _Deprecated(APIRoute):
    """A versioned copy whose answers carry deprecation headers (the class attribute, set per subclass)."""

    deprecation: ClassVar[Deprecation]

    def get_route_handler(self) -> Any:
        handler = super().get_route_handler()
        headers = self.deprecation.headers()

        async def marked(request: Request) -> Response:
            response = await handler(request)
            response.raw_headers.extend(headers)  # type: ignore[attr-defined]
            return response

        return marked

    def serve_plan(self, plan: Any) -> Runner | None:
        if _has_own_handler(type(self)):
            return None  # NOTE: the route's own class wraps the handler: serve through it (get_route_handler above)
        return with_headers(http_runner(plan), self.deprecation.headers())


def _has_own_handler(cls: type[APIRoute]) -> bool:
    """Whether a class below the vivace classes (the user's route class) overrides `get_route_handler`."""
    for klass in cls.__mro__:
        if klass in (_Deprecated, HeaderSwitch):
            continue
        if klass is APIRoute:
            return False
        if "get_route_handler" in vars(klass):
            return True
    return False


def with_headers(runner: Runner, headers: list[tuple[bytes, bytes]]) -> Runner:
    """`runner` with `headers` added to the response it starts."""

    async def run(scope: Scope, receive: Receive, send: Send) -> None:
        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *headers]}
            await send(message)

        await runner(scope, receive, marked)

    return run


_deprecated_classes: dict[tuple[type[APIRoute], Deprecation], type[APIRoute]] = {}


def deprecated_class(base: type[APIRoute], deprecation: Deprecation) -> type[APIRoute]:
    """A subclass of the copy's own class that marks its answers with `deprecation` (one per pair)."""
    key = (base, deprecation)
    made = _deprecated_classes.get(key)
    if made is None:
        made = type(f"Deprecated{base.__name__}", (_Deprecated, base), {"deprecation": deprecation})
        _deprecated_classes[key] = made
    return made


class HeaderSwitch(APIRoute):
    """One path and method set of a header-versioned API: the newest version's copy, serving every version."""

    header: ClassVar[bytes]  # lower-case header name
    #: label -> that version's copy, or None when the version does not have this path (404)
    variants: dict[str, APIRoute | None]
    default: str
    labels: tuple[str, ...]

    def _choose(self, value: str | None) -> APIRoute:
        label = self.default if value is None else value.strip()
        if label not in self.variants:
            raise HTTPException(400, f"Unsupported API version {label!r}: use one of {', '.join(self.labels)}")
        variant = self.variants[label]
        if variant is None:
            raise HTTPException(404)
        return variant

    def get_route_handler(self) -> Any:
        async def switch(request: Request) -> Response:
            variant = self._choose(request.headers.get(self.header.decode()))
            response: Response = await variant.get_route_handler()(request)
            return response

        return switch

    def serve_plan(self, plan: Any) -> Runner | None:
        provider = self.dependency_overrides_provider
        overrides = dict(getattr(provider, "dependency_overrides", None) or {}) or None
        runners: dict[bytes, tuple[APIRoute, Runner] | None] = {}
        for label, variant in self.variants.items():
            if variant is None:
                runners[label.encode()] = None
                continue
            variant_plan = compile_route(variant, variant.analyse(overrides)) if overrides else variant.plan
            variant.served_plan = variant_plan
            runners[label.encode()] = (variant, route_runner(variant, variant_plan))
        return _Dispatch(self.header, runners, self.default.encode(), self.labels).run


class _Dispatch:
    """The per-request part of a switch: header -> runner, built once per compilation."""

    __slots__ = ("default", "header", "labels", "runners")

    def __init__(
        self, header: bytes, runners: Mapping[bytes, tuple[APIRoute, Runner] | None], default: bytes,
        labels: tuple[str, ...],
    ) -> None:
        self.header = header
        self.runners = dict(runners)
        self.default = default
        self.labels = labels

    async def run(self, scope: Scope, receive: Receive, send: Send) -> None:
        wanted = self.default
        for name, value in scope["headers"]:
            if name == self.header:
                wanted = value.strip()
                break
        if wanted not in self.runners:
            label = wanted.decode("latin-1")
            raise HTTPException(400, f"Unsupported API version {label!r}: use one of {', '.join(self.labels)}")
        chosen = self.runners[wanted]
        if chosen is None:
            raise HTTPException(404)
        scope["route"] = chosen[0]
        await chosen[1](scope, receive, send)


_switch_classes: dict[tuple[type[APIRoute], str], type[HeaderSwitch]] = {}


def switch_class(base: type[APIRoute], header: str) -> type[HeaderSwitch]:
    """A switch class over the newest copy's own class, reading `header` (one per pair)."""
    key = (base, header.lower())
    made = _switch_classes.get(key)
    if made is None:
        bases: tuple[type, ...] = (HeaderSwitch,) if base is APIRoute else (HeaderSwitch, base)
        made = _switch_classes[key] = type(f"HeaderSwitch{base.__name__}", bases, {"header": key[1].encode("latin-1")})
    return made
