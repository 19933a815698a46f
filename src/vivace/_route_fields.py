"""`APIRoute.body_field`, `.response_field` and `._embed_body_fields`: FastAPI's `ModelField` view of a route.

vivace validates and serializes from the route's plan and never reads these. Extension code does (cadwyn reads
`route.body_field.field_info`, fastapi-pagination rebuilds `route.body_field` after adding a dependency), so
they are built on first read, from the route's `dependant` as it is then, and a value a library assigns is kept
as assigned (as in FastAPI, assigning one changes what the attribute reads, not how the route is served).

Startup code only; building a body model costs a Pydantic model, so nothing is built until read.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RouteFields"]

_UNSET: Any = object()


class RouteFields:
    """The FastAPI `ModelField` attributes of an `APIRoute` (a mixin: the route provides `dependant`,
    `unique_id` and `response_model`)."""

    dependant: Any
    unique_id: str
    response_model: Any
    _assigned_fields: dict[str, Any]
    _built_fields: tuple[Any, tuple[Any, ...], dict[str, Any]] | None

    def _field(self, name: str) -> Any:
        assigned = self.__dict__.get("_assigned_fields")
        if assigned is not None and name in assigned:
            return assigned[name]
        dependant = self.dependant
        subs = tuple(dependant.dependencies)
        built = self.__dict__.get("_built_fields")
        if built is None or built[0] is not dependant or built[1] != subs:
            built = self.__dict__["_built_fields"] = (dependant, subs, {})  # built again after a change
        values: dict[str, Any] = built[2]
        if name not in values:
            values[name] = _BUILDERS[name](self)
        return values[name]

    def _assign(self, name: str, value: Any) -> None:
        self.__dict__.setdefault("_assigned_fields", {})[name] = value

    @property
    def body_field(self) -> Any:
        """The body's `ModelField`: the one body parameter's, or a generated `Body_<unique_id>` model's."""
        return self._field("body_field")

    @body_field.setter
    def body_field(self, value: Any) -> None:
        self._assign("body_field", value)

    @property
    def response_field(self) -> Any:
        """The response model's `ModelField` (`Response_<unique_id>`, serialization mode), or None."""
        return self._field("response_field")

    @response_field.setter
    def response_field(self, value: Any) -> None:
        self._assign("response_field", value)

    @property
    def _embed_body_fields(self) -> bool:
        """Whether the body parameters are read as the members of one JSON object."""
        return bool(self._field("_embed_body_fields"))

    @_embed_body_fields.setter
    def _embed_body_fields(self, value: bool) -> None:
        self._assign("_embed_body_fields", value)


def _embed(route: RouteFields) -> bool:
    from vivace.dependencies.utils import _get_flat_body_params, _should_embed_body_fields  # noqa: PLC0415 - below

    return _should_embed_body_fields(_get_flat_body_params(route.dependant))


def _body(route: RouteFields) -> Any:
    # NOTE: vivace.dependencies is for extensions: an app that never reads these fields never imports it
    from vivace.dependencies.utils import _get_body_field, _get_flat_body_params  # noqa: PLC0415 - see the note

    return _get_body_field(
        body_params=_get_flat_body_params(route.dependant), name=route.unique_id,
        embed_body_fields=route._embed_body_fields,
    )


def _response(route: RouteFields) -> Any:
    if route.response_model is None:
        return None
    from vivace.utils import create_model_field  # noqa: PLC0415 - as above

    return create_model_field(name="Response_" + route.unique_id, type_=route.response_model, mode="serialization")


_BUILDERS = {"body_field": _body, "response_field": _response, "_embed_body_fields": _embed}
