"""Stage 1, analyse (startup only): read a callable's signature into a tree of parameter specs.

The tree (`Dependant`) says, for every parameter of an endpoint or dependency, where its value comes from: a
request location (path, query, header, cookie, body, form), another dependency, or a special object (`Request`,
`Response`, `BackgroundTasks`, ...). `compile.py` flattens it into a `RoutePlan`; `openapi/` reads it to build
the document.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
import weakref
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from copy import copy
from dataclasses import dataclass, field, is_dataclass
from enum import Enum, StrEnum
from types import FunctionType, UnionType
from typing import Annotated, Any, ClassVar, ForwardRef, Union, get_args, get_origin

from pydantic import BaseModel, Json
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from starlette.background import BackgroundTasks
from starlette.datastructures import UploadFile
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from typing_extensions import TypeAliasType

from vivace import params
from vivace._compat.dependant_names import DependantNames
from vivace._compat.form_unions import tag_form_union
from vivace._compat.v2 import FieldBehaviour
from vivace.exceptions import FastAPIError, PydanticV1NotSupportedError
from vivace.security._scopes import SecurityScopes

__all__ = [
    "DeclarationError",
    "Dependant",
    "ParamField",
    "Special",
    "analyse",
    "get_typed_signature",
    "has_v1_model",
    "is_sequence_annotation",
    "reject_v1_model",
]


class DeclarationError(FastAPIError, AssertionError):
    """A parameter declared in a way FastAPI rejects with an `AssertionError`; catchable as either."""


class Special(Enum):
    """Objects the framework injects by type rather than from request data."""

    request = "request"
    websocket = "websocket"
    http_connection = "http_connection"
    response = "response"
    background_tasks = "background_tasks"
    security_scopes = "security_scopes"


class Location(StrEnum):
    path = "path"
    query = "query"
    header = "header"
    cookie = "cookie"
    body = "body"
    form = "form"


@dataclass(eq=False)
class ParamField(FieldBehaviour):
    """One value read from the request: its Python name, external name (alias) and declaration.

    `FieldBehaviour` gives it FastAPI's field interface (`validate`, `serialize`, `get_default`) for extensions
    that read `route.dependant`; vivace's own pipeline never calls it.
    """

    name: str
    alias: str
    location: Location
    annotation: Any
    field_info: FieldInfo
    is_sequence: bool = False
    #: a Pydantic model whose fields are read from this location one by one (query/header/cookie/form models)
    model_group: type[BaseModel] | None = None

    @property
    def required(self) -> bool:
        return self.field_info.is_required()

    @property
    def type_(self) -> Any:
        return self.annotation

    def _validated_type(self) -> Any:
        return self.annotation


@dataclass(eq=False)
class Dependant(DependantNames):
    """A callable and where each of its parameters comes from; sub-dependencies are Dependants too.

    `DependantNames` adds FastAPI's attribute names (`request_param_name`, `own_oauth_scopes`, ...) over these
    fields for extensions; vivace's pipeline reads only the fields.
    """

    special_kinds: ClassVar[type[Special]] = Special

    call: Callable[..., Any] | None = None
    name: str | None = None
    path: str = ""
    path_params: list[ParamField] = field(default_factory=list)
    query_params: list[ParamField] = field(default_factory=list)
    header_params: list[ParamField] = field(default_factory=list)
    cookie_params: list[ParamField] = field(default_factory=list)
    body_params: list[ParamField] = field(default_factory=list)
    dependencies: list[Dependant] = field(default_factory=list)
    specials: dict[str, Special] = field(default_factory=dict)
    use_cache: bool = True
    scope: str | None = None
    #: OAuth2 scopes declared by this node (Security(scopes=...))
    own_scopes: list[str] = field(default_factory=list)
    #: every scope required at this node, its own plus those of the Security dependants above it
    security_scopes: list[str] = field(default_factory=list)
    is_security: bool = False
    max_concurrency: int | None = None
    #: the `Depends(...)` this node comes from: its max_concurrency limit is shared by every use of it
    declaration: Any = None
    #: the callable as declared, before `dependency_overrides` replaced it (OpenAPI reads security from it)
    original_call: Callable[..., Any] | None = None

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return (self.call, tuple(sorted(set(self.security_scopes))))

    def location_params(self) -> list[ParamField]:
        return [*self.path_params, *self.query_params, *self.header_params, *self.cookie_params]

    def walk(self) -> list[Dependant]:
        """This node and every sub-dependency, depth first, sub-dependencies before their dependant."""
        nodes: list[Dependant] = []
        for sub in self.dependencies:
            nodes.extend(sub.walk())
        nodes.append(self)
        return nodes


_SPECIAL_TYPES: tuple[tuple[type[Any], Special], ...] = (
    (WebSocket, Special.websocket),
    (Request, Special.request),
    (HTTPConnection, Special.http_connection),
    (Response, Special.response),
    (BackgroundTasks, Special.background_tasks),
)
_SEQUENCE_TYPES = (list, set, tuple, frozenset, deque, Sequence)


def _is_subclass(value: Any, types: type[Any] | tuple[type[Any], ...]) -> bool:
    return isinstance(value, type) and issubclass(value, types)


def _special_for(annotation: Any) -> Special | None:
    if _is_subclass(annotation, SecurityScopes):
        return Special.security_scopes
    for cls, kind in _SPECIAL_TYPES:
        if _is_subclass(annotation, cls):
            return kind
    return None


def _strip_annotated(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _is_json(annotation: Any) -> bool:
    """`Json[list[str]]` (that is `Annotated[list[str], Json()]`): one JSON-encoded value, never repeated keys."""
    return get_origin(annotation) is Annotated and any(type(item) is Json for item in get_args(annotation)[1:])


def is_sequence_annotation(annotation: Any) -> bool:
    """`list[int]`, `set[str] | None`, `tuple[str, ...]`: sequences read from repeated query keys or headers."""
    if _is_json(annotation):
        return False
    annotation = _strip_annotated(annotation)
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        return any(is_sequence_annotation(arg) for arg in get_args(annotation))
    target = origin or annotation
    return _is_subclass(target, _SEQUENCE_TYPES) and not _is_subclass(target, (str, bytes))


def _is_complex(annotation: Any) -> bool:
    annotation = _strip_annotated(annotation)
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        return any(_is_complex(arg) for arg in get_args(annotation))
    for candidate in (annotation, origin):
        if _is_subclass(candidate, (BaseModel, Mapping, UploadFile)) or is_dataclass(candidate):
            return True
        if is_sequence_annotation(candidate) if candidate is not None else False:
            return True
    return hasattr(origin, "__pydantic_core_schema__") or hasattr(origin, "__get_pydantic_core_schema__")


def _is_scalar_sequence(annotation: Any) -> bool:
    annotation = _strip_annotated(annotation)
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        args = get_args(annotation)
        return any(_is_scalar_sequence(a) for a in args) and all(
            _is_scalar_sequence(a) or not _is_complex(a) for a in args
        )
    return is_sequence_annotation(annotation) and not any(_is_complex(a) for a in get_args(annotation))


def _is_upload(annotation: Any) -> bool:
    annotation = _strip_annotated(annotation)
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        return any(_is_upload(a) for a in get_args(annotation) if a is not type(None))
    if is_sequence_annotation(annotation):
        return any(_is_upload(a) for a in get_args(annotation))
    return _is_subclass(annotation, UploadFile)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model of a parameter-model declaration: `Filters`, or `Filters | None`."""
    annotation = _strip_annotated(annotation)
    if get_origin(annotation) in (Union, UnionType):
        models = [a for a in get_args(annotation) if a is not type(None)]
        return models[0] if len(models) == 1 and _is_subclass(models[0], BaseModel) else None
    return annotation if _is_subclass(annotation, BaseModel) else None


def _without_markers(annotation: Any) -> Any:
    """The annotation with vivace's own markers (Query(), Depends()) removed but other metadata kept
    (`AfterValidator`, constraints), so validation sees exactly what the user wrote."""
    if get_origin(annotation) is not Annotated:
        return annotation
    base, *metadata = get_args(annotation)
    # NOTE: every `Field()` is merged into the parameter's FieldInfo (see `_merge_field_infos`); other metadata stays
    kept = [m for m in metadata if not isinstance(m, FieldInfo | params.Depends)]
    return Annotated[(base, *kept)] if kept else base


# PERF: a dependency shared by many routes is read once, not once per route. Keyed by `id()` with a weak reference
# (a dependency must not be kept alive by the cache, and a callable instance may not be hashable); each entry
# holds the stamp its signature was computed from and is used only while the callable still gives that stamp.
_SIGNATURES: dict[int, tuple[weakref.ref[Any], tuple[Any, ...], inspect.Signature]] = {}


def _stamp(call: Callable[..., Any]) -> tuple[Any, ...] | None:
    """What `inspect.signature` reads from `call`, compared by identity; None when `call` is not cached.

    Only plain functions and instances of classes whose `__call__` is a plain function are cached: bound methods
    and partials are new objects on every access, classes read their signature from several places, decorated
    functions from their `__wrapped__` chain, and string annotations from module globals that may change later.
    """
    function: Any = call if isinstance(call, FunctionType) else None
    if function is None and not isinstance(call, type):
        method = inspect.getattr_static(type(call), "__call__", None)
        function = method if isinstance(method, FunctionType) else None
    if function is None:
        return None
    try:
        if getattr(function, "__wrapped__", None) is not None or getattr(call, "__wrapped__", None) is not None:
            return None
        annotations = function.__annotations__
        if any(isinstance(value, str | ForwardRef) for value in annotations.values()):
            return None
        return (
            # NOTE: never `call` itself (the cache holds it weakly); a class's `__call__` may be replaced later
            getattr(call, "__signature__", None), getattr(function, "__signature__", None),
            None if function is call else function,
            function.__code__, function.__defaults__, function.__kwdefaults__, annotations, *annotations.values(),
        )
    except Exception:  # NOTE: an object whose attributes raise is simply not cached
        return None


def _same(stamp: tuple[Any, ...], cached: tuple[Any, ...]) -> bool:
    return len(stamp) == len(cached) and all(a is b for a, b in zip(stamp, cached, strict=True))


def get_typed_signature(call: Callable[..., Any]) -> inspect.Signature:
    """The signature with string annotations resolved against the callable's module globals."""
    stamp = _stamp(call)
    if stamp is None:
        return _typed_signature(call)
    key = id(call)
    entry = _SIGNATURES.get(key)
    if entry is not None and entry[0]() is call and _same(stamp, entry[1]):
        return entry[2]
    signature = _typed_signature(call)
    try:
        ref = weakref.ref(call, _forgetter(key))
    except TypeError:
        return signature  # NOTE: not weakly referenceable (a `__slots__` class): read on every use
    _SIGNATURES[key] = (ref, stamp, signature)
    return signature


def _forgetter(key: int) -> Callable[[Any], None]:
    """The callback dropping `key`'s entry once its callable is gone (and not a newer callable's with the same id)."""
    cache = _SIGNATURES  # NOTE: held here: at interpreter exit the module's globals may already be None

    def forget(ref: Any) -> None:
        entry = cache.get(key)
        if entry is not None and entry[0] is ref:
            del cache[key]

    return forget


def _typed_signature(call: Callable[..., Any]) -> inspect.Signature:
    target = call if inspect.isfunction(call) or inspect.ismethod(call) else type(call).__call__
    if inspect.isclass(call):
        target = call.__init__
    try:
        signature = inspect.signature(call, eval_str=True)
    except (NameError, TypeError):
        signature = inspect.signature(call)
    globalns = getattr(inspect.unwrap(target), "__globals__", {})
    params_ = [p.replace(annotation=resolve_annotation(p.annotation, globalns)) for p in signature.parameters.values()]
    return_annotation = resolve_annotation(signature.return_annotation, globalns)
    return signature.replace(parameters=params_, return_annotation=return_annotation)


def resolve_annotation(annotation: Any, globalns: dict[str, Any]) -> Any:
    """A string or forward-reference annotation resolved in `globalns` (left as is when the name is unknown)."""
    if isinstance(annotation, str):
        annotation = ForwardRef(annotation)
    if isinstance(annotation, ForwardRef):
        try:
            return eval(annotation.__forward_arg__, globalns)
        except NameError:
            return annotation
    return annotation


class _Declaration:
    """What one parameter declares, filled in as its annotation and default are read.

    PERF: a plain slotted class, not a dataclass: nothing compares or prints it, and a dataclass costs ~2 M
    instructions to create at import.
    """

    __slots__ = ("annotation", "depends", "field_info", "type_")

    def __init__(self, annotation: Any, type_: Any) -> None:
        self.annotation = annotation
        self.type_ = type_
        self.field_info: FieldInfo | None = None
        self.depends: params.Depends | None = None


def _annotated_infos(annotation: Any) -> list[FieldInfo]:
    if get_origin(annotation) is not Annotated:
        return []
    return [item for item in get_args(annotation)[1:] if isinstance(item, FieldInfo)]


# NOTE: the default comes from `=`, the annotation from the signature; neither is taken from a `Field()`
_NOT_MERGED = frozenset({"annotation", "default"})


def _own_copy(info: FieldInfo) -> FieldInfo:
    """A shallow copy of a declaration made attribute by attribute, with its own metadata list.

    NOTE: not `copy()`: a declaration class's own `__copy__` could change what the parameter validates, and
    FastAPI keeps the declared metadata.
    """
    copied = object.__new__(type(info))
    copied.__dict__.update(getattr(info, "__dict__", {}))
    for name in FieldInfo.__slots__:
        if hasattr(info, name):
            setattr(copied, name, getattr(info, name))
    for name in ("metadata", "_attributes_set", "_qualifiers"):
        setattr(copied, name, copy(getattr(info, name)))
    return copied


def _merge_field_infos(base: FieldInfo, infos: Sequence[FieldInfo]) -> FieldInfo:
    """A copy of `base` with the attributes and constraints of `infos` applied in order, later ones winning.

    `Annotated[int, Field(alias="n"), Query()]` reads `n`; `Query(alias=None)` after it clears the alias again.
    """
    merged = copy(base)
    if not infos:
        return merged
    attributes: dict[str, Any] = {}
    metadata: list[Any] = []
    for info in infos:
        metadata.extend(info.metadata)
        extra = attributes.get("json_schema_extra")
        attributes.update((k, v) for k, v in info._attributes_set.items() if k not in _NOT_MERGED)
        if isinstance(extra, dict) and isinstance(info.json_schema_extra, dict):
            attributes["json_schema_extra"] = {**extra, **info.json_schema_extra}  # NOTE: dicts combine, as in Pydantic
    for name, value in attributes.items():
        setattr(merged, name, value)
    merged.metadata = metadata
    merged._attributes_set = {**base._attributes_set, **attributes}
    return merged


def _read_declaration(name: str, annotation: Any, default: Any, is_path: bool) -> _Declaration:
    """Find the FieldInfo or Depends of one parameter, from `Annotated[...]` metadata or its default."""
    if isinstance(annotation, TypeAliasType):
        annotation = annotation.__value__
    decl = _Declaration(annotation=Any if annotation is inspect.Parameter.empty else annotation, type_=Any)
    decl.type_ = _strip_annotated(decl.annotation)
    if get_origin(decl.annotation) is Annotated:
        found = [a for a in get_args(decl.annotation)[1:] if isinstance(a, params._Declared | params.Depends)]
        marker = found[-1] if found else None
        if isinstance(marker, params.Depends):
            decl.depends = marker
        elif marker is not None:
            decl.field_info = _annotated_declaration(name, marker, decl.annotation, default, is_path)
    if isinstance(default, params.Depends):
        if decl.depends is not None:
            raise DeclarationError(f"Cannot specify `Depends` in `Annotated` and default value together for {name!r}")
        if decl.field_info is not None:
            raise DeclarationError(
                "Cannot specify a FastAPI annotation in `Annotated` and `Depends` as a default value together for "
                f"{name!r}"
            )
        decl.depends = default
    elif isinstance(default, FieldInfo):
        if decl.field_info is not None:
            raise DeclarationError(
                f"Cannot specify FastAPI annotations in `Annotated` and default value together for {name!r}"
            )
        decl.field_info = _own_copy(default)
        # NOTE: as in FastAPI, a declaration given as the default replaces the `Annotated` metadata: only the
        # bare type is kept (a `Discriminator` or `Gt(3)` there is not applied)
        decl.annotation = decl.type_
    if decl.depends is not None and decl.depends.dependency is None:
        decl.depends = dataclasses.replace(decl.depends, dependency=decl.type_)
    return decl


def _annotated_declaration(
    name: str, marker: params._Declared, annotation: Any, default: Any, is_path: bool
) -> FieldInfo:
    """The FieldInfo of `Annotated[T, ..., Query()] = default`: every `Field()` in it merged, the default from `=`."""
    infos = _annotated_infos(annotation)
    if any(info.default not in (PydanticUndefined, Ellipsis) for info in infos):
        raise DeclarationError(
            f"`{type(marker).__name__}` default value cannot be set in `Annotated` for {name!r}. "
            "Set the default value with `=` instead."
        )
    info = _merge_field_infos(marker, infos)
    if default is not inspect.Parameter.empty:
        if is_path:
            raise DeclarationError("Path parameters cannot have default values")
        info.default = default
    else:
        info.default = PydanticUndefined
    return info


def _infer_field_info(decl: _Declaration, default: Any, is_path: bool) -> FieldInfo:
    """FastAPI's inference for an undeclared parameter: path name, file, body (complex type) or query; the
    `Field()`s of an `Annotated` type still apply (alias, constraints, default factory)."""
    value = PydanticUndefined if default is inspect.Parameter.empty else default
    if is_path:
        inferred: FieldInfo = params.Path()
    elif _is_upload(decl.type_):
        inferred = params.File(value)
    elif _is_complex(decl.type_):
        inferred = params.Body(value)
    else:
        inferred = params.Query(value)
    infos = _annotated_infos(decl.annotation)
    if not infos:
        return inferred
    info = _merge_field_infos(inferred, infos)
    info.default = inferred.default
    if is_path:
        info.default_factory = None  # NOTE: a path parameter is always required, even where a factory is declared
    return info


def _make_field(name: str, decl: _Declaration, default: Any, is_path: bool) -> ParamField:
    info = decl.field_info if decl.field_info is not None else _infer_field_info(decl, default, is_path)
    if is_path and not isinstance(info, params.Path):
        raise DeclarationError(f"Cannot use `{type(info).__name__}` for path param {name!r}")
    _check_type(name, info, decl.type_, is_path)
    # NOTE: the declaration is this parameter's own copy; it names its type as FastAPI's does, for extensions that
    # read `route.dependant.*_params[i].field_info.annotation` (vivace validates from `ParamField.annotation`)
    # a union of form models is declared with each member tagged and normalised, as FastAPI declares it
    info.annotation = tag_form_union(decl.type_) if isinstance(info, params.Form) else decl.type_
    if isinstance(info, params.Header) and not info.alias and info.convert_underscores:
        alias = name.replace("_", "-")
    else:
        alias = info.alias or name
    location = _location_of(info)
    model_group = None
    # NOTE: `Json[Model]` is one JSON-encoded value under the parameter's name, never a model read field by field
    if location in (Location.query, Location.header, Location.cookie, Location.form) and not _is_json(decl.annotation):
        model_group = _model_of(decl.type_)
    return ParamField(
        name=name,
        alias=alias,
        location=location,
        annotation=_without_markers(decl.annotation),
        field_info=info,
        is_sequence=is_sequence_annotation(decl.annotation),
        model_group=model_group,
    )


def _check_type(name: str, info: FieldInfo, type_: Any, is_path: bool) -> None:
    """Reject, at declaration, the types FastAPI cannot read from a location (a model in the path, a dict in the
    query string) and pydantic.v1 models anywhere."""
    reject_v1_model(type_)
    if is_path and (_is_complex(type_) or isinstance(info, params.Body)):
        raise DeclarationError("Path params must be of one of the supported types")
    if isinstance(info, params.Query) and not _is_query_shape(type_):
        raise DeclarationError(f"Query parameter {name!r} must be one of the supported types")


def _is_query_shape(type_: Any) -> bool:
    """A scalar, a sequence of scalars, or a (possibly optional) parameter model."""
    return not _is_complex(type_) or _is_scalar_sequence(type_) or _model_of(type_) is not None


def reject_v1_model(annotation: Any) -> None:
    """Raise FastAPI's error when a pydantic.v1 model appears in a parameter or response annotation."""
    if has_v1_model(annotation):
        raise PydanticV1NotSupportedError(
            "pydantic.v1 models are no longer supported by FastAPI. "
            f"Please update the response model {annotation!r}."
        )


def has_v1_model(annotation: Any) -> bool:
    """Whether a pydantic.v1 model appears in the annotation (itself, in a union, or as an item type)."""
    v1 = sys.modules.get("pydantic.v1")
    if v1 is None:
        return False  # PERF: no pydantic.v1 model can exist before the module is imported
    pending = [annotation]
    while pending:
        item = pending.pop()
        if _is_subclass(item, v1.BaseModel):
            return True
        pending.extend(get_args(item))
    return False


def _location_of(info: FieldInfo) -> Location:
    if isinstance(info, params.Form):
        return Location.form
    if isinstance(info, params.Body):
        return Location.body
    if isinstance(info, params.Param):
        return Location(info.in_.value)
    return Location.query


_LOCATION_LISTS = {
    Location.path: "path_params",
    Location.query: "query_params",
    Location.header: "header_params",
    Location.cookie: "cookie_params",
    Location.body: "body_params",
    Location.form: "body_params",
}


def analyse(
    call: Callable[..., Any],
    *,
    path: str = "",
    path_param_names: frozenset[str] = frozenset(),
    name: str | None = None,
    use_cache: bool = True,
    scope: str | None = None,
    own_scopes: Sequence[str] = (),
    parent_scopes: Sequence[str] = (),
    is_security: bool = False,
    max_concurrency: int | None = None,
    overrides: Mapping[Any, Any] | None = None,
    _stack: tuple[Any, ...] = (),
) -> Dependant:
    """Analyse `call` (and, recursively, its dependencies) into a Dependant tree.

    `overrides` (app.dependency_overrides) replace a dependency's callable at analysis time, so a request never
    looks them up.
    """
    if call in _stack:
        chain = " -> ".join(getattr(c, "__name__", repr(c)) for c in (*_stack, call))
        raise FastAPIError(f"Dependency cycle: {chain}")
    scopes = [*parent_scopes, *own_scopes]
    node = Dependant(
        call=call, name=name, path=path, use_cache=use_cache, scope=scope, own_scopes=list(own_scopes),
        security_scopes=scopes, is_security=is_security, max_concurrency=max_concurrency,
    )
    for param in get_typed_signature(call).parameters.values():
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        is_path = param.name in path_param_names
        decl = _read_declaration(param.name, param.annotation, param.default, is_path)
        if decl.depends is not None:
            node.dependencies.append(
                _analyse_sub(decl.depends, param.name, path, path_param_names, scopes, overrides, (*_stack, call))
            )
            continue
        special = _special_for(decl.type_) if decl.field_info is None else None
        if special is not None:
            node.specials[param.name] = special
            continue
        param_field = _make_field(param.name, decl, param.default, is_path)
        getattr(node, _LOCATION_LISTS[param_field.location]).append(param_field)
    return node


def _analyse_sub(
    depends: params.Depends,
    name: str | None,
    path: str,
    path_param_names: frozenset[str],
    parent_scopes: Sequence[str],
    overrides: Mapping[Any, Any] | None,
    stack: tuple[Any, ...],
) -> Dependant:
    original = depends.dependency
    assert original is not None
    call = overrides.get(original, original) if overrides else original
    is_security = isinstance(depends, params.Security)
    own_scopes = list(depends.scopes or ()) if isinstance(depends, params.Security) else []
    sub = analyse(
        call, path=path, path_param_names=path_param_names, name=name, use_cache=depends.use_cache,
        scope=depends.scope, own_scopes=own_scopes, parent_scopes=parent_scopes, is_security=is_security,
        max_concurrency=depends.max_concurrency, overrides=overrides, _stack=stack,
    )
    sub.original_call = original
    sub.declaration = depends
    return sub


def analyse_dependency(
    depends: params.Depends, *, path: str, path_param_names: frozenset[str], overrides: Mapping[Any, Any] | None
) -> Dependant:
    """A dependency listed in `dependencies=[...]` (its value is computed but not passed to the endpoint)."""
    return _analyse_sub(depends, None, path, path_param_names, (), overrides, ())
