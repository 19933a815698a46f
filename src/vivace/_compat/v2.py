"""`ModelField`: one declared value (a parameter, a body, a response) with FastAPI's field interface.

Extensions read route parameters and bodies through this interface (`field.name`, `field.alias`,
`field.field_info`, `field.validate(value, loc=...)`, `field.serialize(value)`): vivace keeps it as a thin
object over a Pydantic `TypeAdapter` of `Annotated[annotation, field_info]`, built on first use so that
analysing a route costs nothing for fields no extension touches.
"""

from __future__ import annotations

from abc import ABCMeta
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from vivace._core.errors import reshape

__all__ = ["FieldBehaviour", "IncEx", "ModelField"]

IncEx = set[int] | set[str] | dict[int, Any] | dict[str, Any]
Mode = Literal["validation", "serialization"]


class _ModelValidator(Protocol):
    """A model's `__pydantic_validator__`, as far as fields use it."""

    def validate_python(self, input: Any, /, *, from_attributes: bool | None = None) -> Any: ...


class FieldBehaviour:
    """Validation, serialization and defaults over `field_info` and the type `_validated_type()` names.

    Shared by `ModelField` and by the parameter specs of vivace's own analysis, so a field read from
    `route.dependant` behaves like one built with `create_model_field`.
    """

    field_info: FieldInfo
    name: str
    mode: Mode = "validation"
    config: ConfigDict | None = None

    def _validated_type(self) -> Any:
        return self.field_info.annotation

    @property
    def _type_adapter(self) -> TypeAdapter[Any]:
        adapter: TypeAdapter[Any] | None = self.__dict__.get("_adapter")
        if adapter is None:
            # NOTE: the FieldInfo rides in the metadata so its constraints, alias and validators apply
            annotated: Any = Annotated[(self._validated_type(), self.field_info)]
            adapter = TypeAdapter(annotated, config=self.config)
            self.__dict__["_adapter"] = adapter
        return adapter

    def _validator(self) -> TypeAdapter[Any] | _ModelValidator:
        """The model's own validator for a field that is just a model, else the field's adapter.

        NOTE: the adapter is built on first use, after extensions may have swapped a model's
        `__pydantic_core_schema__` (cadwyn does, to test robustness); the model's validator was built with the
        class, as FastAPI's eager adapter is, so a plain model field validates the same either way.
        """
        validated = self._validated_type()
        plain = not self.field_info.metadata and self.config is None
        if plain and isinstance(validated, type) and issubclass(validated, BaseModel):
            return validated.__pydantic_validator__
        return self._type_adapter

    @property
    def type_(self) -> Any:
        return self._validated_type()

    @property
    def required(self) -> bool:
        return self.field_info.is_required()

    @property
    def default(self) -> Any:
        return self.get_default()

    def get_default(self) -> Any:
        """The default value (a factory is called each time); `Undefined` for a required field."""
        if self.field_info.is_required():
            return PydanticUndefined
        return self.field_info.get_default(call_default_factory=True)

    def validate(
        self, value: Any, values: dict[str, Any] | None = None, *, loc: tuple[int | str, ...] = ()
    ) -> tuple[Any, list[dict[str, Any]]]:
        """`(validated value, [])`, or `(None, errors)` with each error's `loc` prefixed by `loc`."""
        try:
            return self._validator().validate_python(value, from_attributes=True), []
        except ValidationError as exc:
            return None, reshape(exc.errors(include_url=False), loc, top_missing_input_none=False)

    def serialize(
        self, value: Any, *, mode: Literal["json", "python"] = "json", include: IncEx | None = None,
        exclude: IncEx | None = None, by_alias: bool = True, exclude_unset: bool = False,
        exclude_defaults: bool = False, exclude_none: bool = False,
    ) -> Any:
        """The value dumped to Python data (JSON-compatible in the default `mode="json"`)."""
        return self._type_adapter.dump_python(
            value, mode=mode, include=include, exclude=exclude, by_alias=by_alias,
            exclude_unset=exclude_unset, exclude_defaults=exclude_defaults, exclude_none=exclude_none,
        )

    def serialize_json(
        self, value: Any, *, include: IncEx | None = None, exclude: IncEx | None = None, by_alias: bool = True,
        exclude_unset: bool = False, exclude_defaults: bool = False, exclude_none: bool = False,
    ) -> bytes:
        """The value dumped to JSON bytes."""
        return self._type_adapter.dump_json(
            value, include=include, exclude=exclude, by_alias=by_alias,
            exclude_unset=exclude_unset, exclude_defaults=exclude_defaults, exclude_none=exclude_none,
        )


class ModelField(FieldBehaviour, metaclass=ABCMeta):
    """A named field: its `FieldInfo` (whose `annotation` is the type), a mode and an optional config.

    An ABC only so that vivace's own parameter specs register as virtual subclasses
    (`isinstance(route.dependant.query_params[0], ModelField)` holds, as in FastAPI).
    """

    def __init__(self, field_info: FieldInfo, name: str, mode: Mode = "validation", config: ConfigDict | None = None):
        self.field_info = field_info
        self.name = name
        self.mode = mode
        self.config = config

    @property
    def alias(self) -> str:
        """The external name: the declared alias, else the Python name."""
        return self.field_info.alias or self.name

    @property
    def validation_alias(self) -> str | None:
        alias = self.field_info.validation_alias
        return alias if isinstance(alias, str) else None

    @property
    def serialization_alias(self) -> str | None:
        return self.field_info.serialization_alias

    # NOTE: fields are compared and hashed by identity: routes keep them in sets and dict keys
    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return (
            f"ModelField(field_info={self.field_info!r}, name={self.name!r}, mode={self.mode!r}, "
            f"config={self.config!r})"
        )
