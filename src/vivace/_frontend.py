"""Frontends: a static build directory (`dist/`) served by `app.frontend()` / `router.frontend()`.

A frontend is a low-priority route: the application looks at its frontends only after every API route, every
405 and the trailing-slash redirect have missed, so an API path always wins over a file of the same name,
whatever the order of declaration. Frontends never appear in the OpenAPI document.

Declaration (`Frontend`, `FrontendFiles`) happens in `APIRouter.frontend`; the application compiles the
frontends it ends up with into a `FrontendTable`, which the compiled router consults from its 404 path only —
an application without frontends pays nothing. The router's and `include_router`'s dependencies guard a
frontend: they run for GET and HEAD requests through an ordinary compiled plan before the file is sent.
"""

from __future__ import annotations

import errno
import os
import stat
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from vivace._core import limits
from vivace._core.compile import compile_route
from vivace._core.handle import handle
from vivace._core.match import route_path
from vivace._core.plan import RoutePlan
from vivace._core.signature import Dependant
from vivace.params import Depends

__all__ = [
    "Fallback", "Frontend", "FrontendFiles", "FrontendTable", "GuardRouteClass", "join_paths", "normalize_path",
    "wants_check",
]

Fallback = Literal["auto", "index.html", "404.html"] | None
_FALLBACKS = ("auto", "index.html", "404.html", None)
_SERVED_METHODS = frozenset({"GET", "HEAD"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
#: the scope key holding the (frontend, path inside its directory) the table selected, read by the endpoint
_SELECTED = "vivace.frontend"


# -- paths ----------------------------------------------------------------------------------------------------


def normalize_path(path: str) -> str:
    """A frontend's URL prefix as declared: it must start with "/"; a trailing "/" is dropped (except for "/")."""
    assert path, "A frontend path must not be empty: use '/' to serve the frontend at the root"
    assert path.startswith("/"), f"A frontend path must start with '/', got {path!r}"
    return path if path == "/" else path.rstrip("/")


def join_paths(prefix: str, path: str) -> str:
    """`prefix` in front of a normalized frontend path; "/" under a prefix is the prefix itself."""
    if not prefix:
        return path
    return prefix if path == "/" else prefix + path


def _inner_path(mount: str, path: str) -> str | None:
    """The part of `path` below the frontend mounted at `mount`, on segment boundaries; None if outside it."""
    if mount == "/":
        return path.lstrip("/")
    if path == mount:
        return ""
    if path.startswith(mount) and path[len(mount)] == "/":
        return path[len(mount) + 1 :]
    return None


def _absolute(path: str | os.PathLike[str]) -> str:
    return os.path.realpath(os.fspath(path))


def _missing_directory(directory: str | os.PathLike[str]) -> str:
    return f"The frontend directory '{directory}' does not exist (looked for '{_absolute(directory)}')"


def wants_check(directory: str | os.PathLike[str], check_dir: bool | Literal["auto"], stacklevel: int) -> bool:
    """Resolve `check_dir="auto"`: check at declaration, except under `FASTAPI_ENV=development` (a dev server
    may start before the frontend is built), where a missing directory only warns, pointing at user code."""
    if check_dir != "auto":
        return bool(check_dir)
    if os.environ.get("FASTAPI_ENV") != "development":
        return True
    if not os.path.isdir(directory):
        warnings.warn(_missing_directory(directory), UserWarning, stacklevel=stacklevel + 1)
    return False


# -- the files ------------------------------------------------------------------------------------------------


def is_navigation(scope: Scope) -> bool:
    """True when the client accepts HTML explicitly (a browser loading a page), not for `*/*` or a q of 0."""
    accept = Request(scope).headers.get("accept", "")
    for item in accept.split(","):
        media_type, *params = item.split(";")
        if media_type.strip().lower() in _HTML_TYPES and _quality(params) != 0:
            return True
    return False


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip().strip('"'))
            except ValueError:
                return 1.0  # NOTE: an unreadable q counts as the default, as FastAPI does
    return 1.0


class FrontendFiles(StaticFiles):
    """The build directory: files, directory `index.html` pages, and the fallback pages for other paths."""

    def __init__(self, *, directory: str | os.PathLike[str], fallback: Fallback, check_dir: bool) -> None:
        assert fallback in _FALLBACKS, "fallback must be 'auto', 'index.html', '404.html' or None"
        if check_dir and not os.path.isdir(directory):
            raise RuntimeError(_missing_directory(directory))
        # NOTE: symbolic links are not followed, so a link cannot expose a file outside the directory
        super().__init__(directory=directory, html=True, check_dir=check_dir, follow_symlink=False)
        self.fallback = fallback
        if check_dir and fallback in ("index.html", "404.html"):
            self._require(fallback, self.lookup_path(fallback)[1])

    def _require(self, name: str, found: os.stat_result | None) -> None:
        if found is None or not stat.S_ISREG(found.st_mode):
            raise RuntimeError(
                f"The frontend fallback file '{name}' is missing from directory '{self.directory}' "
                f"(looked in '{_absolute(self.directory or '')}')"
            )

    async def respond(self, inner: str, scope: Scope) -> Response:
        """The response for `inner`, a path relative to the directory; raises HTTPException for 404/405."""
        if not self.config_checked:
            await self.check_config()
            self.config_checked = True
        path = os.path.normpath(os.path.join(*inner.split("/")))
        found = await self._resource(path)
        if scope["method"] not in _SERVED_METHODS:
            raise HTTPException(status_code=405 if found is not None else 404)
        if found is not None:
            full_path, stat_result, is_index = found
            if is_index and not scope["path"].endswith("/"):
                url = URL(scope=scope)
                return RedirectResponse(url=url.replace(path=url.path + "/"))
            return self.file_response(full_path, stat_result, scope)
        return await self._fallback_response(scope)

    async def _fallback_response(self, scope: Scope) -> Response:
        if self.fallback == "404.html" or (self.fallback == "auto" and await self._is_file("404.html")):
            return await self._page("404.html", scope, 404)
        wants_index = self.fallback == "index.html" or (self.fallback == "auto" and await self._is_file("index.html"))
        if wants_index and is_navigation(scope):
            return await self._page("index.html", scope, 200)
        raise HTTPException(status_code=404)

    async def _page(self, name: str, scope: Scope, status_code: int) -> Response:
        full_path, found = await run_in_threadpool(self.lookup_path, name)
        self._require(name, found)
        assert found is not None
        return self.file_response(full_path, found, scope, status_code=status_code)

    async def _is_file(self, name: str) -> bool:
        found = (await run_in_threadpool(self.lookup_path, name))[1]
        return found is not None and stat.S_ISREG(found.st_mode)

    async def _lookup(self, path: str) -> tuple[str, os.stat_result | None]:
        try:
            return await run_in_threadpool(self.lookup_path, path)
        except PermissionError:
            raise HTTPException(status_code=401) from None
        except ValueError:  # NOTE: a NUL byte in the path
            raise HTTPException(status_code=404) from None
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                raise HTTPException(status_code=404) from None
            raise

    async def _resource(self, path: str) -> tuple[str, os.stat_result, bool] | None:
        """(full path, stat, is a directory's index.html) of a regular file to serve, or None."""
        full_path, found = await self._lookup(path)
        if found is not None and stat.S_ISREG(found.st_mode):
            return full_path, found, False
        if found is not None and stat.S_ISDIR(found.st_mode):
            full_path, found = await self._lookup(os.path.join(path, "index.html"))
            if found is not None and stat.S_ISREG(found.st_mode):
                return full_path, found, True
        return None


# -- declaration ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Frontend:
    """One frontend as a router holds it: its full URL prefix, its files and the dependencies guarding it.

    `depth` counts the `include_router` hops it came through: between equally long prefixes the frontend
    declared closest to the application wins, as in FastAPI. `max_body_size` is the explicit limit of the
    inclusion it came through (a request to a file may still carry a body).
    """

    path: str
    files: FrontendFiles
    dependencies: tuple[Depends, ...] = ()
    depth: int = 0
    dependency_overrides_provider: Any = field(default=None, repr=False)
    max_body_size: int | None = None

    @property
    def path_format(self) -> str:
        """The route template telemetry reports, like a mount's: `<prefix>/{path}`."""
        return self.path.rstrip("/") + "/{path}"

    @property
    def specificity(self) -> int:
        return 0 if self.path == "/" else len(self.path)

    def included(
        self, prefix: str, dependencies: Sequence[Depends], provider: Any, max_body_size: int | None = None
    ) -> Frontend:
        """The copy `include_router` adds to the including router (whose prefix and dependencies come first);
        a limit the frontend already carries, from an inner inclusion, wins over `max_body_size`."""
        return Frontend(
            join_paths(prefix, self.path), self.files, (*dependencies, *self.dependencies), self.depth + 1,
            provider, self.max_body_size if self.max_body_size is not None else max_body_size,
        )


async def _serve_frontend(request: Request, response: Response) -> Response:
    """The endpoint of every frontend's plan: runs after the frontend's dependencies, sends the file."""
    frontend, inner = request.scope[_SELECTED]
    served: Response = await frontend.files.respond(inner, request.scope)
    # NOTE: headers and cookies the dependencies set on the injected Response are added to the file's
    served.raw_headers.extend(response.raw_headers)
    return served


class GuardRoute(Protocol):
    """What a frontend needs of the API route guarding it: the plan compiled at declaration, and analysis again
    under dependency overrides."""

    @property
    def plan(self) -> RoutePlan: ...

    def analyse(self, overrides: dict[Any, Any] | None = None) -> Dependant: ...


class GuardRouteClass(Protocol):
    """The application's route class (`APIRoute` or a subclass), called as the guard route is declared.

    NOTE: a protocol, not `vivace.routing.APIRoute`: routing imports this module, and imports flow one way.
    """

    def __call__(
        self, path: str, endpoint: Callable[..., Any], *, methods: list[str], dependencies: list[Depends],
        include_in_schema: bool, dependency_overrides_provider: Any,
    ) -> GuardRoute: ...


def guard_route(frontend: Frontend, route_class: GuardRouteClass) -> GuardRoute:
    """An unlisted API route whose plan runs the frontend's dependencies, then `_serve_frontend`."""
    return route_class(
        frontend.path, _serve_frontend, methods=["GET", "HEAD"], dependencies=list(frontend.dependencies),
        include_in_schema=False, dependency_overrides_provider=frontend.dependency_overrides_provider,
    )


# -- serving --------------------------------------------------------------------------------------------------


class _Entry(NamedTuple):
    """PERF: a NamedTuple, not a frozen dataclass: ~3 M fewer instructions to create the class at import."""

    frontend: Frontend
    plan: RoutePlan | None  # None: no dependencies, the files are served directly


class FrontendTable:
    """An application's frontends, most specific prefix first, compiled with the current dependency overrides."""

    def __init__(
        self, frontends: Sequence[Frontend], overrides: dict[Any, Any] | None, route_class: GuardRouteClass
    ) -> None:
        ordered = sorted(frontends, key=lambda f: (-f.specificity, f.depth))
        self._entries = [_Entry(f, self._plan(f, overrides, route_class)) for f in ordered]

    @staticmethod
    def _plan(frontend: Frontend, overrides: dict[Any, Any] | None, route_class: GuardRouteClass) -> RoutePlan | None:
        if not frontend.dependencies:
            return None
        route = guard_route(frontend, route_class)
        return compile_route(route, route.analyse(overrides)) if overrides else route.plan

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer the request if a frontend's prefix contains its path; False when none does."""
        path = route_path(scope)
        for entry in self._entries:
            inner = _inner_path(entry.frontend.path, path)
            if inner is not None:
                await self._serve(entry, inner, scope, receive, send)
                return True
        return False

    @staticmethod
    async def _serve(entry: _Entry, inner: str, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = entry.frontend
        if entry.frontend.max_body_size is not None:
            # NOTE: refuses a declared body over the inclusion's limit before anything runs, as a route does
            receive = limits.route_receive(scope, receive, entry.frontend.max_body_size)
        if entry.plan is None or scope["method"] not in _SERVED_METHODS:
            # NOTE: other methods get their 404/405 without running the dependencies, as in FastAPI
            response = await entry.frontend.files.respond(inner, scope)
            await response(scope, receive, send)
            return
        scope[_SELECTED] = (entry.frontend, inner)
        await handle(entry.plan, scope, receive, send)
