"""A declaration given as a parameter's default is copied attribute by attribute: a `Query` subclass's own
`__copy__` does not change what the parameter validates (FastAPI 0.165 keeps the declared constraints)."""

from typing import Any

import pytest
from annotated_types import Ge
from pydantic.fields import FieldInfo


def _query_with_its_own_copy(fw: Any) -> Any:
    """A `Query` subclass whose `__copy__` adds a constraint the declaration never had."""
    base = type(fw.Query())

    class QueryWithOwnCopy(base):  # type: ignore[misc, valid-type]
        def __copy__(self) -> Any:
            copied = type(self).__new__(type(self))
            copied.__dict__.update(self.__dict__)
            for name in FieldInfo.__slots__:
                setattr(copied, name, getattr(self, name))
            copied.metadata = [Ge(10)]
            return copied

    return QueryWithOwnCopy


def build(fw: Any) -> Any:
    app = fw.FastAPI()
    declaration = _query_with_its_own_copy(fw)(ge=0)

    @app.get("/x")
    def read(x: int = declaration) -> int:
        return x

    return app


@pytest.mark.parametrize("req", ["GET /x?x=5", "GET /x?x=-1", "GET /x?x=50"])
def test_a_declarations_own_copy_hook_does_not_change_its_constraints(same: Any, req: str) -> None:
    """`ge=0` as declared: 5 and 50 pass, -1 is rejected, as in FastAPI."""
    same(build, req)
