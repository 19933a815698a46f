"""Names code written for FastAPI imports from `fastapi._compat`: version facts, `ModelField` and annotation helpers.

The module is private in FastAPI too; vivace mirrors the names that extension libraries and FastAPI's own tests
import (see docs/differences.md), each over vivace's own analysis.
"""

from pydantic.version import VERSION as PYDANTIC_VERSION
from pydantic_core import PydanticUndefined

from vivace._compat.v2 import ModelField

__all__ = ["PYDANTIC_V2", "PYDANTIC_VERSION", "PYDANTIC_VERSION_MINOR_TUPLE", "ModelField", "Undefined"]

PYDANTIC_VERSION_MINOR_TUPLE: tuple[int, ...] = tuple(int(part) for part in PYDANTIC_VERSION.split(".")[:2])
PYDANTIC_V2 = PYDANTIC_VERSION_MINOR_TUPLE[0] == 2

#: the "no default" marker of Pydantic fields and of parameter functions (`Query()` with no default)
Undefined = PydanticUndefined
