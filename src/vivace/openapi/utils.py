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
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pydantic_core import PydanticUndefined
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute

from vivace._core.signature import Dependant
from vivace.encoders import jsonable_encoder
from vivace.exceptions import FastAPIDeprecationWarning
from vivace.openapi._dependency_responses import add_dependency_responses
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
    return route.operation_id or route.unique_id


def generate_operation_summary(*, route: APIRoute, method: str) -> str:
    """The route's summary, or its name in title case (`read_items` -> "Read Items")."""
    return route.summary or route.name.replace("_", " ").title()


def _claim_operation_id(operation_id: str, endpoint: Any, taken: set[str]) -> None:
    """Record an operation id; one already taken gets FastAPI's "Duplicate Operation ID" UserWarning."""
    if operation_id in taken:
        name = getattr(endpoint, "__name__", "<unnamed_endpoint>")
        source = getattr(endpoint, "__globals__", {}).get("__file__")
        where = f" at {source}" if source else ""
        # NOTE: a plain UserWarning, as FastAPI emits it.
        warnings.warn(f"Duplicate Operation ID {operation_id} for function {name}{where}", stacklevel=1)
    taken.add(operation_id)


def get_openapi_operation_metadata(*, route: APIRoute, method: str, operation_ids: set[str]) -> dict[str, Any]:
    """tags, summary, description, operationId and deprecated; warns when an operation id repeats."""
    operation_id = route.operation_id or route.unique_id
    _claim_operation_id(operation_id, route.endpoint, operation_ids)
    # Only summary and operationId are always written; the others only when the route sets them.
    written = {
        "tags": route.tags or None,
        "summary": generate_operation_summary(route=route, method=method),
        "description": route.description or None,
        "operationId": operation_id,
        "deprecated": route.deprecated or None,
    }
    return {key: value for key, value in written.items() if value is not None}


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
    example = getattr(declaration, "example", PydanticUndefined)
    if openapi_examples:
        target["examples"] = jsonable_encoder(openapi_examples)
    elif example is not PydanticUndefined:
        target["example"] = jsonable_encoder(example)


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


def _main_status(route: APIRoute, response_class: Any) -> str:
    """The route's status code, else its response class's default (its constructor's `status_code` default)."""
    if route.status_code is not None:
        return str(route.status_code)
    parameter = inspect.signature(response_class.__init__).parameters.get("status_code")
    if parameter is not None and isinstance(parameter.default, int):
        return str(parameter.default)
    return "200"


def _dedup_parameters(parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (location, name); a required declaration wins over an optional one, in the first's place."""
    by_key = {(p["in"], p["name"]): p for p in parameters}
    by_key.update({(p["in"], p["name"]): p for p in parameters if p.get("required")})
    return list(by_key.values())


def _validation_error_response() -> dict[str, Any]:
    return {
        "description": "Validation Error",
        "content": {"application/json": {"schema": {"$ref": REF_PREFIX + "HTTPValidationError"}}},
    }


class _RouteParts(NamedTuple):
    """The parts of a route's operations that do not depend on the method, written once per route.

    An empty part is None, so that it is left out of the operation.
    """

    security: list[dict[str, list[str]]] | None
    parameters: list[dict[str, Any]] | None
    request_body: dict[str, Any] | None  # documented only for the methods that may carry a body
    responses: dict[str, Any]


@dataclass(slots=True)
class _PathWriter:
    """Pass 2: writes Path Item Objects from the schemas of pass 1.

    It keeps the operation ids seen so far (a repeat warns) and collects what the operations add to the
    document's components: the security schemes they use and the validation error schemas.
    """

    mapping: FieldMapping
    separate: bool
    operation_ids: set[str]
    security_schemes: dict[str, Any] = field(default_factory=dict)
    definitions: dict[str, Any] = field(default_factory=dict)

    def schema(self, item: SchemaField) -> dict[str, Any]:
        return schema_of(item, self.mapping, separate_input_output_schemas=self.separate)

    def paths(self, routes: Sequence[BaseRoute] | None) -> dict[str, dict[str, Any]]:
        """The Paths Object of `routes`: routes sharing a path template share its Path Item."""
        found: dict[str, dict[str, Any]] = {}
        for route in _api_routes(routes):
            item = self.path_item(route)
            if item:
                found.setdefault(route.path_format, {}).update(item)
        return found

    def path_item(self, route: APIRoute) -> dict[str, Any]:
        """One operation per method of the route; nothing for a route left out of the schema."""
        assert route.methods is not None, "Methods must be a list"
        if not route.include_in_schema:
            return {}
        parts = self._route_parts(route)
        return {method.lower(): self._operation(route, method, parts) for method in route.methods}

    def _route_parts(self, route: APIRoute) -> _RouteParts:
        # PERF: security, parameters, body and responses are written once per route, not once per method.
        info = route_schema(route)
        schemes, security = get_openapi_security_definitions(info.security)
        self.security_schemes.update(schemes)
        parameters = get_openapi_operation_parameters(
            entries=info.parameters, field_mapping=self.mapping, separate_input_output_schemas=self.separate
        )
        responses = _responses(route, info, self)
        add_dependency_responses(
            responses, route.dependant, {key: self.schema(item) for key, item in info.dependency_fields.items()}
        )
        takes_input = bool(info.parameters) or info.body_field is not None
        if takes_input and not responses.keys() & {"422", "4XX", "default"}:
            responses["422"] = _validation_error_response()
            self.definitions.setdefault("ValidationError", validation_error_definition)
            self.definitions.setdefault("HTTPValidationError", validation_error_response_definition)
        request_body = get_openapi_operation_request_body(
            body_field=info.body_field, field_mapping=self.mapping, separate_input_output_schemas=self.separate
        )
        return _RouteParts(security or None, _dedup_parameters(parameters) or None, request_body, responses)

    def _operation(self, route: APIRoute, method: str, parts: _RouteParts) -> dict[str, Any]:
        operation = get_openapi_operation_metadata(route=route, method=method, operation_ids=self.operation_ids)
        # NOTE: keys go in in FastAPI's order: the document keeps it wherever the OpenAPI model, which has an
        # order of its own, is not the one that validates an operation.
        written = {
            "security": parts.security,
            "parameters": parts.parameters,
            "requestBody": parts.request_body if method in METHODS_WITH_BODY else None,
            "callbacks": self._callbacks(route) if route.callbacks else None,
            "responses": parts.responses,
        }
        operation.update((key, value) for key, value in written.items() if value is not None)
        if route.openapi_extra:
            # The merge changes nested dicts in place; the parts are shared by the route's other methods.
            operation = copy.deepcopy(operation)
            deep_dict_update(operation, route.openapi_extra)
        return operation

    def _callbacks(self, route: APIRoute) -> dict[str, Any]:
        # NOTE: as in FastAPI, each method documents the callbacks anew (so their operation ids repeat), and a
        # callback's security schemes and error schemas stay out of the document; its models are in it, through
        # get_fields_from_routes.
        writer = _PathWriter(self.mapping, self.separate, self.operation_ids)
        return {callback.name: {callback.path: writer.path_item(callback)} for callback in _api_routes(route.callbacks)}


def _main_response_content(info: RouteSchema, writer: _PathWriter) -> dict[str, Any] | None:
    """The content of the route's own response (JSON Lines / SSE streams, or the response class's media type)."""
    if info.stream == "jsonl":
        item = writer.schema(info.stream_item_field) if info.stream_item_field is not None else {}
        return {"application/jsonl": {"itemSchema": item}}
    if info.stream == "sse":
        event = copy.deepcopy(_SSE_EVENT_SCHEMA)
        if info.stream_item_field is not None:
            data = writer.schema(info.stream_item_field)
            event["required"] = ["data"]
            event["properties"]["data"] = {
                "type": "string", "contentMediaType": "application/json", "contentSchema": data,
            }
        return {"text/event-stream": {"itemSchema": event}}
    response_class = info.response_class
    media_type = getattr(response_class, "media_type", None)
    if not media_type:
        return None
    schema: dict[str, Any] = {"type": "string"}
    if isinstance(response_class, type) and issubclass(response_class, JSONResponse):
        schema = writer.schema(info.response_field) if info.response_field is not None else {}
    return {media_type: {"schema": schema}}


def _additional_responses(
    route: APIRoute, info: RouteSchema, responses: dict[str, Any], writer: _PathWriter
) -> None:
    """Merge `responses={...}` into the operation's responses (models become schemas, descriptions filled)."""
    media_type = getattr(info.response_class, "media_type", None) or "application/json"
    for status, declared in route.responses.items():
        assert isinstance(declared, dict), "An additional response must be a dict"
        extra = copy.deepcopy(declared)
        extra.pop("model", None)
        key = str(status).upper()
        response = responses.setdefault("default" if key == "DEFAULT" else key, {})
        field = info.response_fields.get(status)
        if field is not None:
            target = extra.setdefault("content", {}).setdefault(media_type, {})
            deep_dict_update(target.setdefault("schema", {}), writer.schema(field))
        status_text = status_code_ranges.get(key) or http.client.responses.get(int(status))
        description = extra.get("description") or response.get("description") or status_text
        deep_dict_update(response, extra)
        response["description"] = description or "Additional Response"


def _responses(route: APIRoute, info: RouteSchema, writer: _PathWriter) -> dict[str, Any]:
    status = _main_status(route, info.response_class)
    responses: dict[str, Any] = {status: {"description": route.response_description}}
    if is_body_allowed_for_status_code(route.status_code):
        content = _main_response_content(info, writer)
        if content:
            responses[status]["content"] = content
    if route.responses:
        _additional_responses(route, info, responses, writer)
    return responses


def get_openapi_path(
    *,
    route: APIRoute,
    operation_ids: set[str],
    model_name_map: dict[type[Any], str] | None = None,
    field_mapping: FieldMapping,
    separate_input_output_schemas: bool = True,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The Path Item of one route (an operation per method), its security schemes, and extra definitions."""
    writer = _PathWriter(field_mapping, separate_input_output_schemas, operation_ids)
    path = writer.path_item(route)
    return path, writer.security_schemes, writer.definitions


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


def get_openapi(
    *,
    title: str, version: str, openapi_version: str = "3.1.0", summary: str | None = None,
    description: str | None = None, routes: Sequence[BaseRoute], webhooks: Sequence[BaseRoute] | None = None,
    tags: list[dict[str, Any]] | None = None, servers: list[dict[str, str | Any]] | None = None,
    terms_of_service: str | None = None, contact: dict[str, str | Any] | None = None,
    license_info: dict[str, str | Any] | None = None, separate_input_output_schemas: bool = True,
    external_docs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The OpenAPI document of `routes` (and `webhooks`), as a JSON-compatible dict.

    The document is OpenAPI 3.1, as FastAPI's; an `openapi_version` of "3.0.x" (say "3.0.3") converts it
    to a valid OpenAPI 3.0 document for tools that read nothing newer (`nullable` instead of type lists, ...).
    """
    fields = get_fields_from_routes([*routes, *(webhooks or [])])
    mapping, schemas = generate_definitions(fields, separate_input_output_schemas=separate_input_output_schemas)
    writer = _PathWriter(mapping, separate_input_output_schemas, set())
    paths = writer.paths(routes)
    webhook_paths = writer.paths(webhooks)
    schemas.update(writer.definitions)
    components = {
        "schemas": {name: schemas[name] for name in sorted(schemas)},
        "securitySchemes": writer.security_schemes,
    }
    sections: dict[str, Any] = {
        "openapi": "3.1.0" if is_openapi_30(openapi_version) else openapi_version,
        "info": _info(title, version, summary, description, terms_of_service, contact, license_info),
        "servers": servers,
        "paths": paths,
        "webhooks": webhook_paths,
        "components": {key: value for key, value in components.items() if value},
        "tags": tags,
        "externalDocs": external_docs,
    }
    # An empty section is left out, except `paths`, which the specification requires.
    kept = {key: value for key, value in sections.items() if value or key == "paths"}
    document: dict[str, Any] = jsonable_encoder(OpenAPI(**kept), by_alias=True, exclude_none=True)
    if is_openapi_30(openapi_version):
        return downgrade_document(document, openapi_version)
    return document


def get_model_definitions_map(fields: Sequence[SchemaField]) -> dict[type[Any], str]:
    """The schema name of every model and enum the fields refer to."""
    return model_name_map(collect_models(fields))
