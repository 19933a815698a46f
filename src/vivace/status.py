"""HTTP and WebSocket status code constants (`status.HTTP_404_NOT_FOUND`), as in FastAPI.

FastAPI exposes Starlette's `status` module itself; this module re-exports every constant and
forwards any other attribute to Starlette, so the deprecated aliases (such as
`HTTP_422_UNPROCESSABLE_ENTITY`) keep working and keep warning the way Starlette does.
"""

from typing import TYPE_CHECKING

from starlette import status as _starlette_status
from starlette.status import *  # noqa: F403  # the ~90 constants, listed once by Starlette's __all__

__all__ = _starlette_status.__all__  # the same public list as Starlette's

if not TYPE_CHECKING:  # hidden from type checkers so that a misspelt constant is still an error

    def __getattr__(name: str) -> int:
        # NOTE: only reached for names not defined above, i.e. Starlette's deprecated aliases.
        return getattr(_starlette_status, name)

    def __dir__() -> list[str]:
        return dir(_starlette_status)
