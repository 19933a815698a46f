"""`AsyncExitStackMiddleware`: an `AsyncExitStack` in the ASGI scope for the whole of a request.

Code below it (an extension's middleware, a dependency solved with `solve_dependencies`) registers cleanups on
the stack found under `scope[context_name]`; they run, last registered first, once the wrapped app has
returned or raised. vivace's own pipeline does not need it (it keeps its exit stacks inside the plan runner),
so an app gets it only when it adds it.
"""

from contextlib import AsyncExitStack

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["AsyncExitStackMiddleware"]

#: the scope key FastAPI uses for this stack; extensions look it up by this name
DEFAULT_CONTEXT_NAME = "fastapi_middleware_astack"


class AsyncExitStackMiddleware:
    """Pure ASGI: open a stack, store it in the scope, run the app, close the stack (errors propagate)."""

    def __init__(self, app: ASGIApp, context_name: str = DEFAULT_CONTEXT_NAME) -> None:
        self.app = app
        self.context_name = context_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with AsyncExitStack() as stack:
            scope[self.context_name] = stack
            await self.app(scope, receive, send)
