"""Stage 4, validate: one Pydantic call per request location.

At startup each location's parameters become one generated model (fields named by value key, aliased by the
external name), shared by every route declaring the same parameters (see `_core/shapes.py`); per request the
location's raw values go through `model_validate` (or `validate_json` straight from the body bytes) once, and
errors are reshaped to FastAPI's format.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Sequence
from types import NoneType, UnionType
from typing import Annotated, Any, NamedTuple, NoReturn, Union, get_args, get_origin

from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    PydanticSchemaGenerationError,
    TypeAdapter,
    ValidationError,
    create_model,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from vivace._core.bounded import LARGE_BODY, BoundedValidator
from vivace._core.errors import error_details, json_decode_error, missing_error, reshape, unpaired_surrogate
from vivace._core.plan import Extractor
from vivace._core.shapes import SharedBuilds, shape_key
from vivace.exceptions import FastAPIError, HTTPException

__all__ = [
    "FieldSpec",
    "GroupRead",
    "Source",
    "always_valid",
    "check_parameter",
    "form_model",
    "json_body_validator",
    "location_validator",
    "merged",
    "model_group_validator",
]

Source = Any  # anything with .get(key) and .getlist(key): QueryParams, Headers, a path-params adapter
Result = tuple[dict[str, Any], list[dict[str, Any]]]

# Attributes that only name the parameter or describe it in OpenAPI (which reads the declarations, not these
# validators): the generated model sets its own alias, and leaving the rest out lets routes share models.
_NOT_VALIDATION = frozenset(("alias", "alias_priority", "validation_alias", "serialization_alias", "title"))
_NOT_VALIDATION |= {"field_title_generator", "description", "examples", "json_schema_extra", "deprecated"}
_SHARED = SharedBuilds()  # generated models and adapters, by the shape of what they validate


class FieldSpec:
    """A parameter as the validator sees it: value key, lookup name, annotation and declaration.

    `choices` holds every name of an `AliasChoices` in declaration order (`lookup` is the first); empty otherwise.
    """

    __slots__ = ("annotation", "choices", "field_info", "is_sequence", "key", "lookup")

    def __init__(
        self,
        key: str,
        lookup: str,
        annotation: Any,
        field_info: FieldInfo,
        is_sequence: bool,
        choices: tuple[str, ...] = (),
    ) -> None:
        self.key = key
        self.lookup = lookup
        self.annotation = annotation
        self.field_info = field_info
        self.is_sequence = is_sequence
        self.choices = choices


def annotated(annotation: Any, metadata: Sequence[Any]) -> Any:
    """`Annotated[annotation, *metadata]`, or the bare annotation when there is no metadata."""
    return Annotated[(annotation, *metadata)] if metadata else annotation


def _field_parts(spec: FieldSpec) -> tuple[Any, dict[str, Any]]:
    """The annotation (with its constraints) and the Field attributes that decide how a parameter validates."""
    described = spec.field_info.asdict()
    attributes = {k: v for k, v in described["attributes"].items() if k not in _NOT_VALIDATION}
    return annotated(spec.annotation, described["metadata"]), attributes


def _model_field(spec: FieldSpec, target: Any, attributes: dict[str, Any]) -> tuple[Any, FieldInfo]:
    # NOTE: a JSON body object is validated as a whole, so Pydantic itself picks the first choice present there
    alias = AliasChoices(*spec.choices) if spec.choices else spec.lookup
    return target, Field(**attributes, validation_alias=alias)


def _validator(model: type[BaseModel]) -> Callable[[Any], Any]:
    """`model.model_validate` for a plain dict, without its per-call argument handling when the model is complete.

    PERF: `model_validate` is a Python method checking its keyword arguments on every call (~1.5k instructions
    per validated location); the core validator it ends in gives the same instance and the same errors.
    """
    if model.__pydantic_complete__:
        return model.__pydantic_validator__.validate_python
    return model.model_validate  # NOTE: not built yet: model_validate builds it (or raises Pydantic's error)


def _quiet_build(build: Callable[[], Any]) -> Any:
    # NOTE: Pydantic warns about declaration-only attributes (examples, deprecated) on TypeAdapter targets;
    # those attributes matter only to OpenAPI, which reads the declarations, not these validators.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build()


def _location_model(name: str, specs: Sequence[FieldSpec]) -> type[BaseModel]:
    """The model validating these parameters; routes whose parameters have the same shape share it."""
    parts = [(spec, *_field_parts(spec)) for spec in specs]
    key = (name, *((s.key, s.lookup, s.choices, shape_key(t), *map(_attribute_key, a.items())) for s, t, a in parts))
    return _SHARED.get(key, lambda: _build_location_model(name, parts))


def _attribute_key(item: tuple[str, Any]) -> tuple[str, Any]:
    return item[0], shape_key(item[1])


def _build_location_model(name: str, parts: Sequence[tuple[FieldSpec, Any, dict[str, Any]]]) -> type[BaseModel]:
    fields = {spec.key: _model_field(spec, target, attributes) for spec, target, attributes in parts}
    try:
        return _quiet_build(lambda: create_model(name, **fields))  # type: ignore[call-overload,no-any-return]
    except PydanticSchemaGenerationError:
        if len(parts) == 1:
            _unusable(parts[0][0])
        for part in parts:  # NOTE: the error path only: find which parameter's type Pydantic cannot handle
            _build_location_model(name, [part])
        raise


def _adapter(target: Any) -> TypeAdapter[Any]:
    """A TypeAdapter of `target`, shared with every other route validating the same shape."""
    return _SHARED.get(("adapter", shape_key(target)), lambda: _quiet_build(lambda: TypeAdapter(target)))


def _unusable(spec: FieldSpec) -> NoReturn:
    raise FastAPIError(
        f"The parameter {spec.lookup!r} is annotated with {spec.annotation!r}, which Pydantic cannot validate. "
        "Use a Pydantic model, a dataclass or a standard type, or give the class a `__get_pydantic_core_schema__`."
    )


#: what a declaration check leaves out: attributes that cannot make building a validator fail (a default is only
#: validated per request), so that parameters differing only in them are checked once
_NOT_CHECKED = _NOT_VALIDATION | {"default", "default_factory"}
_PLAIN_ATTRIBUTES = {k: v for k, v in Field().asdict()["attributes"].items() if k not in _NOT_CHECKED}
_SCALARS = frozenset({int, str, float, bool, bytes, NoneType})
_CONTAINERS = frozenset({list, set, frozenset, tuple, dict, Union, UnionType})
_CHECKED: set[Any] = set()  # the shapes already checked (kept: a check builds nothing a route holds on to)


def check_parameter(annotation: Any, field_info: FieldInfo) -> None:
    """Raise what Pydantic raises for this parameter's type and constraints, as building its validator would.

    The route's validators are built on its first request; this runs when it is declared, so that a parameter
    Pydantic refuses fails there, as in FastAPI. A TypeAdapter per shape, checked once per process.
    """
    described = field_info.asdict()
    metadata = described["metadata"]
    attributes = {k: v for k, v in described["attributes"].items() if k not in _NOT_CHECKED}
    if not metadata and attributes == _PLAIN_ATTRIBUTES and always_valid(annotation):
        return
    target = annotated(annotation, metadata)
    key = (shape_key(target), *map(_attribute_key, attributes.items()))
    if key not in _CHECKED:
        _quiet_build(lambda: TypeAdapter(Annotated[target, Field(**attributes)]))  # type: ignore[arg-type]
        _CHECKED.add(key)


def always_valid(annotation: Any) -> bool:
    """A scalar, a complete Pydantic model, or lists, sets, tuples, dicts and unions of them: nothing about it can
    make a validator fail to build."""
    origin = get_origin(annotation)
    if origin is not None:
        return origin in _CONTAINERS and all(arg is ... or always_valid(arg) for arg in get_args(annotation))
    if not isinstance(annotation, type):
        return False
    if annotation in _SCALARS:
        return True
    return issubclass(annotation, BaseModel) and annotation.__pydantic_complete__


def location_validator(location: str, specs: Sequence[FieldSpec], *, error_location: str | None = None) -> Extractor:
    """Validate every plain parameter of one location at once."""
    model = _location_model(f"{location.title()}Params", specs)
    if not model.__pydantic_complete__:
        return _with_unresolved_types(location, specs, error_location)
    lookups = tuple((spec.lookup, spec.is_sequence) for spec in specs)
    prefix = (error_location or location,)
    if any(spec.choices for spec in specs):
        return Extractor(location, tuple(spec.key for spec in specs), _choosing(model, specs, prefix))
    valid_part = _ValidPart(specs)
    default_names = _default_error_names(specs)
    validate_python = _validator(model)

    def validate(source: Source) -> Result:
        data: dict[str, Any] = {}
        for lookup, is_sequence in lookups:
            if is_sequence:
                values = source.getlist(lookup)
                if values:
                    data[lookup] = values
            else:
                value = source.get(lookup)
                if value is not None:
                    data[lookup] = value
        try:
            return validate_python(data).__dict__, []
        except ValidationError as exc:
            errors = _name_defaults(error_details(exc), default_names)
        return valid_part(data, errors), reshape(errors, prefix)

    return Extractor(location, tuple(spec.key for spec in specs), validate)


def _with_unresolved_types(location: str, specs: Sequence[FieldSpec], error_location: str | None) -> Extractor:
    """A location where some parameters name a type that cannot be resolved (imported only under TYPE_CHECKING).

    NOTE: FastAPI validates each parameter on its own, and only when it is sent, so such a parameter is harmless
    until a request carries it (then Pydantic's "not fully defined" error propagates); the others validate as usual.
    """
    name = f"{location.title()}Params"
    unresolved = [spec for spec in specs if not _location_model(name, [spec]).__pydantic_complete__]
    resolved = [spec for spec in specs if spec not in unresolved]
    inner = location_validator(location, resolved, error_location=error_location) if resolved else None
    prefix = error_location or location

    def validate(source: Source) -> Result:
        values, errors = inner.validate(source) if inner is not None else ({}, [])
        for spec in unresolved:
            if source.get(spec.lookup) is not None:
                _location_model(name, [spec]).model_validate({})  # raises: the type is not defined
            if spec.field_info.is_required():
                errors.append({"type": "missing", "loc": (prefix, spec.lookup), "msg": "Field required", "input": None})
            else:
                values[spec.key] = spec.field_info.get_default(call_default_factory=True)
        return values, errors

    return Extractor(location, tuple(spec.key for spec in specs), validate)


def _default_error_names(specs: Sequence[FieldSpec]) -> dict[str, str]:
    """Value key -> external name, for the parameters whose default is validated (`validate_default=True`)."""
    return {spec.key: spec.lookup for spec in specs if spec.field_info.validate_default}


def _name_defaults(errors: list[ErrorDetails], names: dict[str, str]) -> list[ErrorDetails]:
    """Errors of a validated default: Pydantic names the field (a value key), FastAPI the parameter's alias.

    The error path only; a location without validated defaults returns its errors untouched.
    """
    if names:
        for error in errors:
            loc = error["loc"]
            if loc and loc[0] in names:
                error["loc"] = (names[str(loc[0])], *loc[1:])
    return errors


def _choosing(model: type[BaseModel], specs: Sequence[FieldSpec], prefix: tuple[str]) -> Callable[[Source], Result]:
    """The validator of a location where some parameter has `AliasChoices`: the first choice present is read.

    PERF: a separate function so that locations without choices keep their plain loop. The value is stored under
    the first choice (the generated model's alias); errors name the choice that was actually read, as FastAPI does.
    """
    reads = tuple((spec.lookup, spec.choices or (spec.lookup,), spec.is_sequence) for spec in specs)
    valid_part = _ValidPart(specs)
    default_names = _default_error_names(specs)
    validate_python = _validator(model)

    def validate(source: Source) -> Result:
        data: dict[str, Any] = {}
        chosen: dict[str, str] = {}
        for lookup, names, is_sequence in reads:
            for name in names:
                value = source.getlist(name) if is_sequence else source.get(name)
                if value is not None and value != []:
                    data[lookup] = value
                    if name != lookup:
                        chosen[lookup] = name
                    break
        try:
            return validate_python(data).__dict__, []
        except ValidationError as exc:
            errors = _name_defaults(error_details(exc), default_names)
        values = valid_part(data, errors)
        for error in errors:
            loc = error["loc"]
            if loc and loc[0] in chosen:
                error["loc"] = (chosen[str(loc[0])], *loc[1:])
        return values, reshape(errors, prefix)

    return validate


class _ValidPart:
    """The values that did validate, when others did not (the error path only).

    NOTE: FastAPI validates parameters one by one, so a dependency whose own inputs are valid still runs (and may
    raise, say, a 400) when another parameter is invalid; vivace needs those values to do the same.
    PERF: each parameter's one-field model is built the first time an error needs it, then kept, so a stream of
    invalid requests does not build models per request.
    """

    def __init__(self, specs: Sequence[FieldSpec]) -> None:
        self._specs = specs
        self._models: dict[str, type[BaseModel]] = {}

    def __call__(self, data: dict[str, Any], errors: list[ErrorDetails]) -> dict[str, Any]:
        failed = {error["loc"][0] for error in errors if error["loc"]}
        values: dict[str, Any] = {}
        for spec in self._specs:
            if spec.lookup in failed:
                continue
            model = self._models.get(spec.key)
            if model is None:
                model = self._models[spec.key] = _location_model("Param", [spec])
            given = {spec.lookup: data[spec.lookup]} if spec.lookup in data else {}
            values.update(model.model_validate(given).__dict__)
        return values


class GroupRead(NamedTuple):
    """One field of a parameter model: the (input name, external name) pairs to try in order, and its shape."""

    names: tuple[tuple[str, str], ...]
    is_sequence: bool


def model_group_validator(
    location: str,
    key: str,
    model: type[BaseModel],
    lookups: Sequence[GroupRead],
    *,
    error_location: str,
    optional: FieldInfo | None = None,
    declared: Any = None,
) -> Extractor:
    """A Pydantic model whose fields are read one by one from a location (`Annotated[Filters, Query()]`).

    Each field reads the first of its names present (alias choices, then its own name when the model allows it).
    Every other key of the location is passed too, so the model's `extra` policy applies to it, as in FastAPI; an
    unread alias choice counts as such a key. `optional` is the declaration of `Filters | None` (whose default
    applies when none of the model's fields is present), `declared` its annotation.
    """
    adapter = _adapter(model)
    is_headers = location == "header"
    single = [read.names[0] for read in lookups if len(read.names) == 1]
    known = {external.lower() if is_headers else external for _, external in single}
    known |= {name.lower() if is_headers else name for name, _ in single}
    # NOTE: a field readable by its own name never gets that name as an extra key, even when its alias is read
    # instead (a header's raw `x_values` would otherwise fill it past the `x-values` spelling), as in FastAPI
    fields = model.model_fields
    known |= {name.lower() if is_headers else name for read in lookups for name, _ in read.names if name in fields}
    renamed = {name: external for read in lookups for name, external in read.names if name != external}
    if model.model_config.get("loc_by_alias") is False:
        renamed = {}  # NOTE: the model reports its Python field names, and FastAPI leaves them so
    prefix = (error_location,)
    takes_extra = model.model_config.get("extra") in ("allow", "forbid")
    default = _group_default(key, optional, declared, prefix) if optional is not None else None

    def validate(source: Source) -> Result:
        data, read_names = _read_group(source, lookups, known, is_headers)
        supplied = bool(data)
        for extra, values in _extras(source, read_names).items():
            data[extra] = values[0] if len(values) == 1 else values
        if default is not None and not (supplied or (takes_extra and data)):
            return default()  # `Filters | None = None` with none of its fields present
        try:
            return {key: adapter.validate_python(data, from_attributes=True)}, []
        except ValidationError as exc:
            errors = reshape(error_details(exc), prefix, top_missing_input_none=False)
        if is_headers and renamed:
            for error in errors:
                loc = error["loc"]
                if len(loc) > 1 and loc[1] in renamed:
                    error["loc"] = (loc[0], renamed[loc[1]], *loc[2:])
        return {}, errors

    return Extractor(location, (key,), validate)


def _group_default(key: str, info: FieldInfo, declared: Any, prefix: tuple[str]) -> Callable[[], Result]:
    """The value of an optional parameter model none of whose fields was sent: missing when required, else a copy
    of its default (or a factory's result), validated against the declared type when `validate_default=True`."""
    if info.is_required():
        return lambda: ({}, [missing_error(prefix)])
    if not info.validate_default:
        return lambda: ({key: info.get_default(call_default_factory=True)}, [])
    adapter = _adapter(annotated(declared, info.metadata))

    def validated() -> Result:
        try:
            return {key: adapter.validate_python(info.get_default(call_default_factory=True), from_attributes=True)}, []
        except ValidationError as exc:
            return {}, reshape(error_details(exc), prefix, top_missing_input_none=False)

    return validated


def _read_group(
    source: Source, lookups: Sequence[GroupRead], known: set[str], is_headers: bool
) -> tuple[dict[str, Any], set[str]]:
    """Each field's value under the first of its names present, and the known names plus those alias choices read."""
    data: dict[str, Any] = {}
    read_names = known
    for names, is_sequence in lookups:
        for name, external in names:
            value = source.getlist(external) if is_sequence else source.get(external)
            if value is not None and value != []:
                data[name] = value
                if len(names) > 1:
                    read_names = read_names | {external.lower() if is_headers else external}
                break
    return data, read_names


def _extras(source: Source, known: set[str]) -> dict[str, list[Any]]:
    items = source.multi_items() if hasattr(source, "multi_items") else source.items()
    grouped: dict[str, list[Any]] = {}
    for name, value in items:
        if name not in known:
            grouped.setdefault(name, []).append(value)
    return grouped


def _json_or_error(body: bytes) -> tuple[Any, dict[str, Any] | None]:
    try:
        return json.loads(body), None
    except json.JSONDecodeError as exc:
        return None, json_decode_error(exc)
    except Exception as exc:  # invalid UTF-8, or anything else the parser raises: FastAPI's 400, not a 500
        raise HTTPException(status_code=400, detail="There was an error parsing the body") from exc


class _SingleBody:
    """One body parameter: the whole JSON document is its value."""

    embedded = False

    def __init__(self, spec: FieldSpec) -> None:
        metadata = list(spec.field_info.asdict()["metadata"])
        if spec.field_info.discriminator is not None:
            # NOTE: a discriminator is a FieldInfo attribute, not metadata; without it unions report per-member errors
            metadata.append(Field(discriminator=spec.field_info.discriminator))
        target = annotated(spec.annotation, metadata)
        try:
            self.adapter = _adapter(target)
        except PydanticSchemaGenerationError:
            _unusable(spec)
        self.keys = (spec.key,)
        self._info = spec.field_info

    def unwrap(self, value: Any) -> dict[str, Any]:
        return {self.keys[0]: value}

    def errors(self, details: list[ErrorDetails], payload: Any) -> list[dict[str, Any]]:
        return reshape(details, ("body",), top_missing_input_none=False)

    def empty(self) -> Result:
        if self._info.is_required():
            return {}, [missing_error(("body",))]
        default = self._info.get_default(call_default_factory=True)
        if not self._info.validate_default:
            return {self.keys[0]: default}, []
        try:
            return {self.keys[0]: self.adapter.validate_python(default)}, []
        except ValidationError as exc:
            return {}, reshape(error_details(exc), ("body",), top_missing_input_none=False)


class _EmbeddedBody:
    """Several body parameters (or `embed=True`): a JSON object keyed by their names."""

    embedded = True

    def __init__(self, specs: Sequence[FieldSpec]) -> None:
        model = _location_model("BodyParams", specs)
        self.adapter = _adapter(model)
        self.keys = tuple(s.key for s in specs)
        self._lookups = tuple(s.lookup for s in specs)

    def errors(self, details: list[ErrorDetails], payload: Any) -> list[dict[str, Any]]:
        if not isinstance(payload, dict):
            # NOTE: FastAPI looks each embedded field up in the body; a non-object body misses all of them
            return [missing_error(("body", lookup)) for lookup in self._lookups]
        return reshape(details, ("body",))

    def unwrap(self, value: Any) -> dict[str, Any]:
        return value.__dict__  # type: ignore[no-any-return]

    def empty(self) -> Result:
        try:
            return self.adapter.validate_python({}).__dict__, []
        except ValidationError as exc:
            return {}, reshape(error_details(exc), ("body",))


def uses_strict_mode(schema: Any) -> bool:
    """Whether a Pydantic core schema turns strict mode on anywhere (model config, `Field(strict=True)`,
    `Strict()`/`StrictInt`-style annotations), nested models and definitions included."""
    pending = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if node.get("strict") is True:
                return True
            pending.extend(node.values())
        elif isinstance(node, list | tuple):
            pending.extend(node)
    return False


def json_body_validator(spec: FieldSpec | None, embedded: Sequence[FieldSpec]) -> Extractor:
    """The JSON body: a single parameter taking the whole body, or several embedded under their names.

    `validate((raw, is_json))` receives the body bytes and whether the content type declared JSON; JSON bodies are
    validated straight from bytes (`validate_json`), falling back to `json` only to report FastAPI's decode error.
    A JSON body over LARGE_BODY bytes is decoded first, then validated with its errors bounded (`bounded.py`).
    """
    shape = _SingleBody(spec) if spec is not None else _EmbeddedBody(embedded)
    adapter, unwrap = shape.adapter, shape.unwrap
    bounded = BoundedValidator(adapter.core_schema)
    # NOTE: strict fields accept JSON-only forms in JSON mode (a UUID, date or enum as a string) that FastAPI's
    # json.loads + Python-mode validation rejects; such bodies skip the fast path so their answers match.
    from_bytes = not uses_strict_mode(adapter.core_schema)

    def validate(raw: tuple[bytes, bool]) -> Result:
        body, is_json = raw
        if not body:
            return shape.empty()
        payload: Any = body
        if not is_json and shape.embedded:
            return shape.empty()  # NOTE: a non-JSON body has no fields to look up; defaults or "missing" apply
        if is_json and (surrogate_error := unpaired_surrogate(body)) is not None:
            return {}, [surrogate_error]
        if is_json and len(body) > LARGE_BODY:
            return _large(body, bounded, shape)
        if is_json and not from_bytes:
            payload, decode_error = _json_or_error(body)
            if decode_error is not None:
                return {}, [decode_error]
        elif is_json:
            try:
                return unwrap(adapter.validate_json(body)), []
            except ValidationError:
                # NOTE: the error path re-validates like FastAPI (json.loads, then Python mode), whose messages
                # differ from JSON mode's ("valid list" vs "valid array") and whose decode errors name a position.
                payload, decode_error = _json_or_error(body)
                if decode_error is not None:
                    return {}, [decode_error]
        try:
            return unwrap(adapter.validate_python(payload, from_attributes=True)), []
        except ValidationError as exc:
            return {}, shape.errors(error_details(exc), payload)

    return Extractor("body", shape.keys, validate)


def _large(body: bytes, bounded: BoundedValidator, shape: _SingleBody | _EmbeddedBody) -> Result:
    """A large JSON body: decoded, then validated in Python mode (as FastAPI does) with its errors bounded.

    NOTE: not `validate_json` first: its failure builds every error, and its parsed tree alone costs ~16 bytes
    per byte of a body of small numbers (`json` builds ~5).
    """
    payload, decode_error = _json_or_error(body)
    if decode_error is not None:
        return {}, [decode_error]
    value, exc, stopped = bounded.validate(payload)
    if exc is None:
        return shape.unwrap(value), []
    return {}, shape.errors(error_details(exc, stopped=stopped), payload)


def merged(extractors: Sequence[Extractor]) -> Extractor:
    """One extractor running several over the same raw input in order (values merged, errors concatenated)."""
    if len(extractors) == 1:
        return extractors[0]  # PERF: the usual case keeps its single call

    def validate(raw: Any) -> Result:
        values: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for extractor in extractors:
            found, bad = extractor.validate(raw)
            values.update(found)
            errors.extend(bad)
        return values, errors

    return Extractor(extractors[0].location, tuple(k for e in extractors for k in e.keys), validate)


def form_model(specs: Sequence[FieldSpec]) -> Callable[[dict[str, Any]], Result]:
    """Validate form fields (already read from the multipart/urlencoded body) in one call."""
    model = _location_model("FormParams", specs)
    valid_part = _ValidPart(specs)
    validate_python = _validator(model)

    def validate(data: dict[str, Any]) -> Result:
        try:
            return validate_python(data).__dict__, []
        except ValidationError as exc:
            errors = error_details(exc)
        return valid_part(data, errors), reshape(errors, ("body",))

    return validate
