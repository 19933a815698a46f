"""`app.dependency_overrides`: a dict that tells the application whenever it changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["DependencyOverrides"]


class DependencyOverrides(dict[Any, Any]):
    """`app.dependency_overrides`: any change marks the compiled plans stale (they bake overrides in)."""

    def __init__(self, on_change: Callable[[], None], *args: Any) -> None:
        super().__init__(*args)
        self._on_change = on_change

    def _changed(self) -> None:
        self._on_change()

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._changed()

    def clear(self) -> None:
        super().clear()
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def pop(self, *args: Any) -> Any:
        value = super().pop(*args)
        self._changed()
        return value

    def popitem(self) -> tuple[Any, Any]:
        item = super().popitem()
        self._changed()
        return item

    def setdefault(self, key: Any, default: Any = None) -> Any:
        value = super().setdefault(key, default)
        self._changed()
        return value
