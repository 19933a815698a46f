"""FastAPI's `fastapi.dependencies.utils` names, over vivace's own analysis (`_core/signature.py`).

`get_dependant` is vivace's analysis of a callable; the `Dependant` it returns is what routes compile, so an
extension may append it to `route.dependant.dependencies`. The flattening and body-field helpers read that
tree; `solve_dependencies` and the `request_*_to_args` functions resolve it against a request.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from vivace import params
from vivace._compat.fields import create_body_model, get_cached_model_fields, is_scalar_field
from vivace._compat.shared import lenient_issubclass
from vivace._compat.v2 import FieldBehaviour, ModelField
from vivace._core.signature import Dependant, analyse, analyse_dependency, get_typed_signature, resolve_annotation
from vivace.dependencies._body import request_body_to_args
from vivace.dependencies._fields import as_model_field, get_validation_alias, model_of
from vivace.dependencies._forms import (
    _extract_form_body,
    _extract_form_items,
    _get_form_model,
    _get_form_models,
    _get_multidict_value,
    _get_param_aliases,
    _is_form_model_supplied,
    _normalize_form_model,
)
from vivace.dependencies._params import request_params_to_args
from vivace.dependencies._solve import SolvedDependency, solve_dependencies
from vivace.dependencies.models import _is_async_gen_callable, _is_coroutine_callable, _is_gen_callable
from vivace.utils import get_path_param_names

__all__ = [
    "ParamDetails",
    "SolvedDependency",
    "_extract_form_body",
    "_extract_form_items",
    "_get_body_field",
    "_get_flat_body_params",
    "_get_flat_fields_from_params",
    "_get_form_model",
    "_get_form_models",
    "_get_multidict_value",
    "_get_param_aliases",
    "_is_form_model_supplied",
    "_normalize_form_model",
    "_should_embed_body_fields",
    "add_non_field_param_to_dependency",
    "add_param_to_fields",
    "analyze_param",
    "get_body_field",
    "get_cached_model_fields",
    "get_dependant",
    "get_flat_dependant",
    "get_flat_params",
    "get_parameterless_sub_dependant",
    "get_stream_item_type",
    "get_typed_annotation",
    "get_typed_return_annotation",
    "get_typed_signature",
    "get_validation_alias",
    "is_async_gen_callable",
    "is_coroutine_callable",
    "is_gen_callable",
    "is_scalar_field",
    "lenient_issubclass",
    "request_body_to_args",
    "request_params_to_args",
    "solve_dependencies",
]

# older FastAPI releases exposed these without the underscore; extensions written then still import them
is_coroutine_callable = _is_coroutine_callable
is_gen_callable = _is_gen_callable
is_async_gen_callable = _is_async_gen_callable


def get_dependant(
    *, path: str, call: Callable[..., Any], name: str | None = None, own_oauth_scopes: list[str] | None = None,
    parent_oauth_scopes: list[str] | None = None, use_cache: bool = True,
    scope: Literal["function", "request"] | None = None, concurrency: Any | None = None,
) -> Dependant:
    """Analyse `call` (and its dependencies, recursively) for a route at `path`."""
    return analyse(
        call, path=path, path_param_names=frozenset(get_path_param_names(path)), name=name, use_cache=use_cache,
        scope=scope, own_scopes=own_oauth_scopes or (), parent_scopes=parent_oauth_scopes or (),
        max_concurrency=getattr(concurrency, "max_concurrency", None),
    )


def get_parameterless_sub_dependant(*, depends: params.Depends, path: str) -> Dependant:
    """The Dependant of a `Depends(...)` listed in `dependencies=[...]` (its value is not passed on)."""
    assert callable(depends.dependency), "A parameter-less dependency must have a callable dependency"
    return analyse_dependency(
        depends, path=path, path_param_names=frozenset(get_path_param_names(path)), overrides=None
    )


def get_typed_annotation(annotation: Any, globalns: dict[str, Any]) -> Any:
    """A string or forward-reference annotation resolved in `globalns` (left as is when the name is unknown)."""
    return resolve_annotation(annotation, globalns)
    return annotation


def get_typed_return_annotation(call: Callable[..., Any]) -> Any:
    """The resolved return annotation of `call`, or None when it has none."""
    annotation = get_typed_signature(call).return_annotation
    return None if annotation is inspect.Signature.empty else annotation


def _walk_unique(dependant: Dependant) -> list[Dependant]:
    """The node and its sub-dependencies, each distinct (call, scopes) once, the node's own first."""
    seen: set[Any] = set()
    order: list[Dependant] = []
    pending = [dependant]
    while pending:
        node = pending.pop(0)
        key = node.cache_key
        if node is not dependant and key in seen:
            continue
        seen.add(key)
        order.append(node)
        pending[:0] = node.dependencies
    return order


def get_flat_dependant(dependant: Dependant, *, skip_repeats: bool = False, visited: Any = None) -> Dependant:
    """One Dependant holding every parameter of the tree (sub-dependencies' after the node's own)."""
    nodes = _walk_unique(dependant) if skip_repeats else _walk_all(dependant)
    flat = Dependant(call=dependant.call, name=dependant.name, path=dependant.path, use_cache=dependant.use_cache)
    for node in nodes:
        for kind in ("path_params", "query_params", "header_params", "cookie_params", "body_params"):
            getattr(flat, kind).extend(getattr(node, kind))
    flat.security_scopes = list(dependant.security_scopes)
    return flat


def _walk_all(dependant: Dependant) -> list[Dependant]:
    nodes = [dependant]
    for sub in dependant.dependencies:
        nodes.extend(_walk_all(sub))
    return nodes


def _get_flat_fields_from_params(fields: list[Any]) -> list[Any]:
    """The fields, with each parameter model replaced by the model's own fields."""
    flat: list[Any] = []
    for field in fields:
        model = model_of(field) if not isinstance(field.field_info, params.Body) else None
        flat.extend(get_cached_model_fields(model) if model is not None else [field])
    return flat


def get_flat_params(dependant: Dependant) -> list[Any]:
    """Every path, query, header and cookie field of the tree, parameter models expanded to their fields."""
    flat = get_flat_dependant(dependant, skip_repeats=True)
    return _get_flat_fields_from_params(
        [*flat.path_params, *flat.query_params, *flat.header_params, *flat.cookie_params]
    )


def _get_flat_body_params(dependant: Dependant) -> list[Any]:
    """Every body field of the tree (each repeated dependency once)."""
    return get_flat_dependant(dependant, skip_repeats=True).body_params


def _should_embed_body_fields(fields: list[Any]) -> bool:
    """Whether the body is an object keyed by parameter: several fields, `embed=True`, or one form field that is
    not a form model."""
    if not fields:
        return False
    if len({field.name for field in fields}) > 1:
        return True
    info = fields[0].field_info
    if isinstance(info, params.Form):
        return not _get_form_models(fields[0])  # a form model (or a union of them) is the whole form
    return bool(getattr(info, "embed", False))


def _get_body_field(*, body_params: list[Any], name: str, embed_body_fields: bool) -> FieldBehaviour | None:
    """The field the whole request body validates against: the one body field, or a `Body_<name>` model."""
    if not body_params:
        return None
    if not embed_body_fields:
        return as_model_field(body_params[0])
    model = create_body_model(fields=body_params, model_name=f"Body_{name}")
    infos = [field.field_info for field in body_params]
    kind: type[params.Body] = params.Body
    if any(isinstance(info, params.File) for info in infos):
        kind = params.File
    elif any(isinstance(info, params.Form) for info in infos):
        kind = params.Form
    info = kind(alias="body")
    info.annotation = model
    return ModelField(field_info=info, name="body")


_STREAM_ORIGINS = frozenset({AsyncIterator, Iterator, AsyncGenerator, Generator, AsyncIterable, Iterable})


def get_stream_item_type(annotation: Any) -> Any | None:
    """`X` of a streaming return annotation (`AsyncIterator[X]`, `Generator[X, ...]`, `Iterable[X]`), else None."""
    args = get_args(annotation)
    if get_origin(annotation) in _STREAM_ORIGINS and args:
        return args[0]
    return None


# the name FastAPI used before the underscore; pagination and class-based-view libraries import either
get_body_field = _get_body_field


@dataclass
class ParamDetails:
    """What `analyze_param` found: the annotation, and either a `Depends` or a field (or neither)."""

    type_annotation: Any
    depends: params.Depends | None
    field: FieldBehaviour | None


def analyze_param(*, param_name: str, annotation: Any, value: Any, path_param_names: set[str]) -> ParamDetails:
    """Analyse one parameter as if it were the only one of a callable."""
    parameter = inspect.Parameter(param_name, inspect.Parameter.KEYWORD_ONLY, default=value, annotation=annotation)

    def one_parameter(**kwargs: Any) -> None:
        """A stand-in callable whose signature is just the parameter analysed."""

    one_parameter.__signature__ = inspect.Signature([parameter])  # type: ignore[attr-defined]
    node = analyse(one_parameter, path_param_names=frozenset(path_param_names))
    if node.dependencies:
        sub = node.dependencies[0]
        return ParamDetails(type_annotation=annotation, depends=sub.declaration, field=None)
    fields = [*node.path_params, *node.query_params, *node.header_params, *node.cookie_params, *node.body_params]
    return ParamDetails(type_annotation=annotation, depends=None, field=fields[0] if fields else None)


def add_param_to_fields(*, field: FieldBehaviour, dependant: Dependant) -> None:
    """Append `field` to the dependant's list for its location (path, query, header, cookie or body)."""
    info = field.field_info
    kind = "body_params"
    if isinstance(info, params.Param):
        kind = f"{info.in_.value}_params"
    elif not isinstance(info, params.Body):
        kind = "query_params"
    getattr(dependant, kind).append(field)


def add_non_field_param_to_dependency(*, param_name: str, type_annotation: Any, dependant: Dependant) -> bool | None:
    """Record `param_name` as receiving an injected object (Request, Response, ...); True if it is one."""
    node = analyse(_single(param_name, type_annotation))
    if not node.specials:
        return None
    dependant.specials.update(node.specials)
    return True


def _single(param_name: str, annotation: Any) -> Callable[..., Any]:
    parameter = inspect.Parameter(param_name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)

    def one_parameter(**kwargs: Any) -> None:
        """A stand-in callable whose signature is just the parameter analysed."""

    one_parameter.__signature__ = inspect.Signature([parameter])  # type: ignore[attr-defined]
    return one_parameter
