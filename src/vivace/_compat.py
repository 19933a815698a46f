"""Version facts that code written for FastAPI reads from `fastapi._compat` (its tutorial tests among them)."""

from pydantic.version import VERSION as PYDANTIC_VERSION
from pydantic_core import PydanticUndefined

__all__ = ["PYDANTIC_V2", "PYDANTIC_VERSION", "PYDANTIC_VERSION_MINOR_TUPLE", "Undefined"]

PYDANTIC_VERSION_MINOR_TUPLE: tuple[int, ...] = tuple(int(part) for part in PYDANTIC_VERSION.split(".")[:2])
PYDANTIC_V2 = PYDANTIC_VERSION_MINOR_TUPLE[0] == 2

#: the "no default" marker of Pydantic fields and of parameter functions (`Query()` with no default)
Undefined = PydanticUndefined
