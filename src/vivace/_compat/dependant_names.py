"""FastAPI's attribute names on vivace's `Dependant`, for extensions that read or set them.

vivace's analysis keeps the injected objects of a callable in one mapping (`specials`: parameter name ->
kind) and the OAuth2 scopes as "declared here" / "required here"; FastAPI names one attribute per kind
(`request_param_name`, `response_param_name`, ...) and splits the scopes into own / parent. The properties
below read and write vivace's fields under FastAPI's names, so both views stay one object.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, ClassVar

__all__ = ["DependantNames"]


class _SpecialName:
    """A property naming the parameter that receives one kind of injected object (None if there is none)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __get__(self, node: Any, owner: type[Any] | None = None) -> Any:
        if node is None:
            return self
        return next((name for name, kind in node.specials.items() if kind.value == self.kind), None)

    def __set__(self, node: Any, name: str | None) -> None:
        for old in [n for n, kind in node.specials.items() if kind.value == self.kind]:
            del node.specials[old]
        if name is not None:
            node.specials[name] = node.special_kinds(self.kind)


class DependantNames:
    """Mixed into `Dependant`: FastAPI's names over `specials`, `own_scopes` and `security_scopes`."""

    #: the enum of injected kinds (`_core.signature.Special`), set by the class this is mixed into
    special_kinds: ClassVar[type[Enum]]
    specials: dict[str, Any]
    own_scopes: list[str]
    security_scopes: list[str]
    max_concurrency: int | None

    request_param_name = _SpecialName("request")
    websocket_param_name = _SpecialName("websocket")
    http_connection_param_name = _SpecialName("http_connection")
    response_param_name = _SpecialName("response")
    background_tasks_param_name = _SpecialName("background_tasks")
    security_scopes_param_name = _SpecialName("security_scopes")

    @property
    def own_oauth_scopes(self) -> list[str]:
        """The scopes this node's `Security(scopes=...)` declares."""
        return self.own_scopes

    @property
    def parent_oauth_scopes(self) -> list[str]:
        """The scopes required by the `Security` dependants above this node."""
        # NOTE: vivace's analysis builds security_scopes as the parents' scopes followed by the node's own
        return self.security_scopes[: len(self.security_scopes) - len(self.own_scopes)]

    @property
    def oauth_scopes(self) -> list[str]:
        """Every scope required at this node, the parents' first."""
        return list(self.security_scopes)
