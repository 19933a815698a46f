"""The OpenAPI document generator: `get_openapi(...)` and its parts, with `fastapi.openapi.utils`'s names.

Startup code. The document is built in two passes over the routes: first every value that needs a JSON Schema
(request bodies, response models, parameters) goes through Pydantic in one `generate_definitions` call, so shared
models become `#/components/schemas/` entries; then each operation is written, looking its schemas up in that
pass's result. The output is validated through the `OpenAPI` model, which also fixes the key order.
"""

from __future__ import annotations

import copy
import http.client
import inspect
import warnings
from collections.abc import Sequence
from typing import Any

from pydantic_core import PydanticUndefined
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute

from vivace._core.signature import Dependant
from vivace.encoders import jsonable_encoder
from vivace.exceptions import FastAPIDeprecationWarning
from vivace.openapi._downgrade import downgrade_document, is_openapi_30
from vivace.openapi._schema_fields import (
    FieldMapping,
    SchemaField,
    collect_models,
    generate_definitions,
    model_name_map,
    schema_of,
)
from vivace.openapi._schema_route import ParamEntry, RouteSchema, route_schema, security_scheme_of
from vivace.openapi.constants import METHODS_WITH_BODY, REF_PREFIX
from vivace.openapi.models import OpenAPI
from vivace.params import Body
from vivace.routing import APIRoute
from vivace.utils import deep_dict_update, is_body_allowed_for_status_code

__all__ = [
    "generate_operation_id",
    "generate_operation_summary",
    "get_fields_from_routes",
    "get_openapi",
    "get_openapi_operation_metadata",
    "get_openapi_operation_parameters",
    "get_openapi_operation_request_body",
    "get_openapi_path",
    "get_openapi_security_definitions",
    "status_code_ranges",
    "validation_error_definition",
    "validation_error_response_definition",
]

validation_error_definition: dict[str, Any] = {
    "title": "ValidationError",
    "type": "object",
    "properties": {
        "loc": {"title": "Location", "type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
        "msg": {"title": "Message", "type": "string"},
        "type": {"title": "Error Type", "type": "string"},
        "input": {"title": "Input"},
        "ctx": {"title": "Context", "type": "object"},
    },
    "required": ["loc", "msg", "type"],
}

validation_error_response_definition: dict[str, Any] = {
    "title": "HTTPValidationError",
    "type": "object",
    "properties": {
        "detail": {"title": "Detail", "type": "array", "items": {"$ref": REF_PREFIX + "ValidationError"}},
    },
}

status_code_ranges: dict[str, str] = {
    "1XX": "Information",
    "2XX": "Success",
    "3XX": "Redirection",
    "4XX": "Client Error",
    "5XX": "Server Error",
    "DEFAULT": "Default Response",
}

# The event fields of a Server-Sent Events stream, as its `itemSchema`.
_SSE_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "data": {"type": "string"},
        "event": {"type": "string"},
        "id": {"type": "string"},
        "retry": {"type": "integer", "minimum": 0},
    },
}

_VALIDATION_ERROR_RESPONSE: dict[str, Any] = {
    "description": "Validation Error",
    "content": {"application/json": {"schema": {"$ref": REF_PREFIX + "HTTPValidationError"}}},
}


def _api_routes(routes: Sequence[BaseRoute] | None) -> list[APIRoute]:
    # NOTE: only path operations are documented; Starlette routes, mounts and websockets never are.
    return [route for route in routes or () if isinstance(route, APIRoute)]


# -- pass 1: the fields ------------------------------------------------------------------------------------


def get_fields_from_routes(routes: Sequence[BaseRoute]) -> list[SchemaField]:
    """Every value the routes document with a schema: callbacks' first, then bodies, responses, parameters."""
    bodies: list[SchemaField] = []
    responses: list[SchemaField] = []
    parameters: list[SchemaField] = []
    callbacks: list[SchemaField] = []
    for route in _api_routes(routes):
        if not route.include_in_schema:
            continue
        info = route_schema(route)
        if info.body_field is not None:
            bodies.append(info.body_field)
        responses.extend(info.response_side_fields())
        if route.callbacks:
            callbacks.extend(get_fields_from_routes(route.callbacks))
        parameters.extend(info.parameter_fields)
    return [*callbacks, *bodies, *responses, *parameters]


# -- pass 2: the operations --------------------------------------------------------------------------------


def generate_operation_id(*, route: APIRoute, method: str) -> str:
    """Deprecated and unused: the operation id FastAPI once derived from a route and a method."""
    warnings.warn(
        "generate_operation_id() is deprecated and unused; operation ids come from route.unique_id",
        FastAPIDeprecationWarning,
        stacklevel=2,
    )
    if route.operation_id:
        return route.operation_id
    return route.unique_id


def generate_operation_summary(*, route: APIRoute, method: str) -> str:
    """The route's summary, or its name in title case (`read_items` -> "Read Items")."""
    if route.summary:
        return route.summary
    return route.name.replace("_", " ").title()


def get_openapi_operation_metadata(*, route: APIRoute, method: str, operation_ids: set[str]) -> dict[str, Any]:
    """tags, summary, description, operationId and deprecated; warns when an operation id repeats."""
    operation: dict[str, Any] = {}
    if route.tags:
        operation["tags"] = route.tags
    operation["summary"] = generate_operation_summary(route=route, method=method)
    if route.description:
        operation["description"] = route.description
    operation_id = route.operation_id or route.unique_id
    if operation_id in operation_ids:
        endpoint_name = getattr(route.endpoint, "__name__", "<unnamed_endpoint>")
        message = f"Duplicate Operation ID {operation_id} for function {endpoint_name}"
        file_name = getattr(route.endpoint, "__globals__", {}).get("__file__")
        if file_name:
            message += f" at {file_name}"
        # NOTE: a plain UserWarning, as FastAPI emits it.
        warnings.warn(message, stacklevel=1)
    operation_ids.add(operation_id)
    operation["operationId"] = operation_id
    if route.deprecated:
        operation["deprecated"] = route.deprecated
    return operation


def get_openapi_security_definitions(
    security_dependencies: Sequence[tuple[Dependant, list[str]]],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The `securitySchemes` the dependencies use and the operation's `security` list (scopes merged by name)."""
    definitions: dict[str, Any] = {}
    requirements: dict[str, list[str]] = {}
    for dependant, scopes in security_dependencies:
        scheme = security_scheme_of(dependant)
        assert scheme is not None, "a security dependency must be a SecurityBase instance"
        definitions[scheme.scheme_name] = jsonable_encoder(scheme.model, by_alias=True, exclude_none=True)
        merged = requirements.setdefault(scheme.scheme_name, [])
        merged.extend(scope for scope in scopes if scope not in merged)
    return definitions, [{name: scopes} for name, scopes in requirements.items()]


def get_openapi_operation_parameters(
    *, entries: Sequence[ParamEntry], field_mapping: FieldMapping, separate_input_output_schemas: bool = True
) -> list[dict[str, Any]]:
    """One Parameter Object per documented path/query/header/cookie parameter, in declaration order."""
    parameters = []
    for entry in entries:
        if entry.hidden:
            continue
        declaration = entry.field.field_info
        parameter: dict[str, Any] = {
            "name": entry.request_name,
            "in": entry.location,
            "required": entry.required,
            "schema": schema_of(
                entry.field, field_mapping, separate_input_output_schemas=separate_input_output_schemas,
                field_alias=entry.alias,
            ),
        }
        if declaration.description:
            parameter["description"] = declaration.description
        _add_examples(parameter, declaration)
        if getattr(declaration, "deprecated", None):
            parameter["deprecated"] = True
        parameters.append(parameter)
    return parameters


def _add_examples(target: dict[str, Any], declaration: Any) -> None:
    openapi_examples = getattr(declaration, "openapi_examples", None)
    example = getattr(declaration, "example", _MISSING)
    if openapi_examples:
        target["examples"] = jsonable_encoder(openapi_examples)
    elif example is not _MISSING and not _is_undefined(example):
        target["example"] = jsonable_encoder(example)


_MISSING = object()


def _is_undefined(value: Any) -> bool:
    return value is PydanticUndefined


def get_openapi_operation_request_body(
    *,
    body_field: SchemaField | None,
    model_name_map: dict[type[Any], str] | None = None,
    field_mapping: FieldMapping,
    separate_input_output_schemas: bool = True,
) -> dict[str, Any] | None:
    """The Request Body Object: required flag, then the body's media type with its schema and examples."""
    if body_field is None:
        return None
    schema = schema_of(body_field, field_mapping, separate_input_output_schemas=separate_input_output_schemas)
    declaration = body_field.field_info
    media_type = declaration.media_type if isinstance(declaration, Body) else "application/json"
    request_body: dict[str, Any] = {}
    if declaration.is_required():
        request_body["required"] = True
    content: dict[str, Any] = {"schema": schema}
    _add_examples(content, declaration)
    request_body["content"] = {media_type: content}
    return request_body


def _default_status_code(response_class: Any) -> str:
    # NOTE: a response class's default status is the default of its constructor's `status_code` argument.
    parameter = inspect.signature(response_class.__init__).parameters.get("status_code")
    if parameter is not None and isinstance(parameter.default, int):
        return str(parameter.default)
    return "200"


def _main_response_content(
    route: APIRoute, info: RouteSchema, response_class: Any, mapping: FieldMapping, separate: bool
) -> dict[str, Any] | None:
    """The content of the route's own response (JSON Lines / SSE streams, or the response class's media type)."""
    if info.stream == "jsonl":
        item: dict[str, Any] = {}
        if info.stream_item_field is not None:
            item = schema_of(info.stream_item_field, mapping, separate_input_output_schemas=separate)
        return {"application/jsonl": {"itemSchema": item}}
    if info.stream == "sse":
        event = copy.deepcopy(_SSE_EVENT_SCHEMA)
        if info.stream_item_field is not None:
            data = schema_of(info.stream_item_field, mapping, separate_input_output_schemas=separate)
            event["required"] = ["data"]
            event["properties"]["data"] = {
                "type": "string", "contentMediaType": "application/json", "contentSchema": data,
            }
        return {"text/event-stream": {"itemSchema": event}}
    media_type = getattr(response_class, "media_type", None)
    if not media_type:
        return None
    schema: dict[str, Any] = {"type": "string"}
    if isinstance(response_class, type) and issubclass(response_class, JSONResponse):
        schema = {}
        if info.response_field is not None:
            schema = schema_of(info.response_field, mapping, separate_input_output_schemas=separate)
    return {media_type: {"schema": schema}}


def _additional_responses(
    route: APIRoute, info: RouteSchema, media_type: str | None, responses: dict[str, Any], mapping: FieldMapping,
    separate: bool,
) -> None:
    """Merge `responses={...}` into the operation's responses (models become schemas, descriptions filled)."""
    for status, declared in route.responses.items():
        assert isinstance(declared, dict), "An additional response must be a dict"
        extra = copy.deepcopy(declared)
        extra.pop("model", None)
        key = str(status).upper()
        key = "default" if key == "DEFAULT" else key
        response = responses.setdefault(key, {})
        field = info.response_fields.get(status)
        if field is not None:
            model_schema = schema_of(field, mapping, separate_input_output_schemas=separate)
            target = extra.setdefault("content", {}).setdefault(media_type or "application/json", {})
            deep_dict_update(target.setdefault("schema", {}), model_schema)
        status_text = status_code_ranges.get(str(status).upper()) or http.client.responses.get(int(status))
        description = extra.get("description") or response.get("description") or status_text
        deep_dict_update(response, extra)
        response["description"] = description or "Additional Response"


def _responses(
    route: APIRoute, info: RouteSchema, mapping: FieldMapping, separate: bool
) -> dict[str, Any]:
    response_class = _response_class(route)
    status = str(route.status_code) if route.status_code is not None else _default_status_code(response_class)
    responses: dict[str, Any] = {status: {"description": route.response_description}}
    if is_body_allowed_for_status_code(route.status_code):
        content = _main_response_content(route, info, response_class, mapping, separate)
        if content:
            responses[status]["content"] = content
    if route.responses:
        media_type = getattr(response_class, "media_type", None)
        _additional_responses(route, info, media_type, responses, mapping, separate)
    return responses


def _response_class(route: APIRoute) -> Any:
    value: Any = route.response_class
    return getattr(value, "value", value) if type(value).__name__ == "DefaultPlaceholder" else value


def _dedup_parameters(parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (location, name); a required declaration wins over an optional one, in the first's place."""
    by_key = {(p["in"], p["name"]): p for p in parameters}
    by_key.update({(p["in"], p["name"]): p for p in parameters if p.get("required")})
    return list(by_key.values())


def _callbacks(
    route: APIRoute, operation_ids: set[str], mapping: FieldMapping, separate: bool
) -> dict[str, Any]:
    callbacks: dict[str, Any] = {}
    for callback in _api_routes(route.callbacks):
        # NOTE: a callback's own security schemes and error definitions are not added to the document, as in
        # FastAPI; its models are, through get_fields_from_routes.
        path, _, _ = get_openapi_path(
            route=callback, operation_ids=operation_ids, field_mapping=mapping,
            separate_input_output_schemas=separate,
        )
        callbacks[callback.name] = {callback.path: path}
    return callbacks


def _operation(
    route: APIRoute, method: str, operation_ids: set[str], mapping: FieldMapping, separate: bool,
    found: tuple[dict[str, Any], dict[str, Any]],
) -> dict[str, Any]:
    security_schemes, definitions = found
    info = route_schema(route)
    operation = get_openapi_operation_metadata(route=route, method=method, operation_ids=operation_ids)
    schemes, requirements = get_openapi_security_definitions(info.security)
    if requirements:
        operation.setdefault("security", []).extend(requirements)
    security_schemes.update(schemes)
    parameters = get_openapi_operation_parameters(
        entries=info.parameters, field_mapping=mapping, separate_input_output_schemas=separate
    )
    if parameters:
        operation["parameters"] = _dedup_parameters(parameters)
    if method in METHODS_WITH_BODY:
        request_body = get_openapi_operation_request_body(
            body_field=info.body_field, field_mapping=mapping, separate_input_output_schemas=separate
        )
        if request_body:
            operation["requestBody"] = request_body
    if route.callbacks:
        operation["callbacks"] = _callbacks(route, operation_ids, mapping, separate)
    operation["responses"] = _responses(route, info, mapping, separate)
    has_input = bool(info.parameter_fields) or info.body_field is not None
    if has_input and not any(key in operation["responses"] for key in ("422", "4XX", "default")):
        operation["responses"]["422"] = copy.deepcopy(_VALIDATION_ERROR_RESPONSE)
        definitions.setdefault("ValidationError", validation_error_definition)
        definitions.setdefault("HTTPValidationError", validation_error_response_definition)
    if route.openapi_extra:
        deep_dict_update(operation, route.openapi_extra)
    return operation


def get_openapi_path(
    *,
    route: APIRoute,
    operation_ids: set[str],
    model_name_map: dict[type[Any], str] | None = None,
    field_mapping: FieldMapping,
    separate_input_output_schemas: bool = True,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The Path Item of one route (an operation per method), its security schemes, and extra definitions."""
    path: dict[str, Any] = {}
    security_schemes: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    assert route.methods is not None, "Methods must be a list"
    if not route.include_in_schema:
        return path, security_schemes, definitions
    for method in route.methods:
        path[method.lower()] = _operation(
            route, method, operation_ids, field_mapping, separate_input_output_schemas,
            (security_schemes, definitions),
        )
    return path, security_schemes, definitions


# -- the document ------------------------------------------------------------------------------------------


def _info(
    title: str, version: str, summary: str | None, description: str | None, terms_of_service: str | None,
    contact: dict[str, Any] | None, license_info: dict[str, Any] | None,
) -> dict[str, Any]:
    info: dict[str, Any] = {"title": title, "version": version}
    optional = {
        "summary": summary, "description": description, "termsOfService": terms_of_service,
        "contact": contact, "license": license_info,
    }
    info.update({key: value for key, value in optional.items() if value})
    return info


def _add_paths(
    routes: Sequence[BaseRoute] | None, target: dict[str, dict[str, Any]], components: dict[str, Any],
    definitions: dict[str, Any], operation_ids: set[str], mapping: FieldMapping, separate: bool,
) -> None:
    for route in _api_routes(routes):
        path, security_schemes, path_definitions = get_openapi_path(
            route=route, operation_ids=operation_ids, field_mapping=mapping, separate_input_output_schemas=separate
        )
        if path:
            target.setdefault(route.path_format, {}).update(path)
        if security_schemes:
            components.setdefault("securitySchemes", {}).update(security_schemes)
        definitions.update(path_definitions)


def get_openapi(
    *,
    title: str,
    version: str,
    openapi_version: str = "3.1.0",
    summary: str | None = None,
    description: str | None = None,
    routes: Sequence[BaseRoute],
    webhooks: Sequence[BaseRoute] | None = None,
    tags: list[dict[str, Any]] | None = None,
    servers: list[dict[str, str | Any]] | None = None,
    terms_of_service: str | None = None,
    contact: dict[str, str | Any] | None = None,
    license_info: dict[str, str | Any] | None = None,
    separate_input_output_schemas: bool = True,
    external_docs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The OpenAPI document of `routes` (and `webhooks`), as a JSON-compatible dict.

    The document is OpenAPI 3.1, as FastAPI's; an `openapi_version` of "3.0.x" (say "3.0.3") converts it
    to a valid OpenAPI 3.0 document for tools that read nothing newer (`nullable` instead of type lists, ...).
    """
    output: dict[str, Any] = {
        "openapi": "3.1.0" if is_openapi_30(openapi_version) else openapi_version,
        "info": _info(title, version, summary, description, terms_of_service, contact, license_info),
    }
    if servers:
        output["servers"] = servers
    fields = get_fields_from_routes([*routes, *(webhooks or [])])
    mapping, definitions = generate_definitions(fields, separate_input_output_schemas=separate_input_output_schemas)
    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    webhook_paths: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    separate = separate_input_output_schemas
    _add_paths(routes, paths, components, definitions, operation_ids, mapping, separate)
    _add_paths(webhooks, webhook_paths, components, definitions, operation_ids, mapping, separate)
    if definitions:
        components["schemas"] = {name: definitions[name] for name in sorted(definitions)}
    if components:
        output["components"] = components
    output["paths"] = paths
    if webhook_paths:
        output["webhooks"] = webhook_paths
    if tags:
        output["tags"] = tags
    if external_docs:
        output["externalDocs"] = external_docs
    document: dict[str, Any] = jsonable_encoder(OpenAPI(**output), by_alias=True, exclude_none=True)
    if is_openapi_30(openapi_version):
        return downgrade_document(document, openapi_version)
    return document


def get_model_definitions_map(fields: Sequence[SchemaField]) -> dict[type[Any], str]:
    """The schema name of every model and enum the fields refer to."""
    return model_name_map(collect_models(fields))
