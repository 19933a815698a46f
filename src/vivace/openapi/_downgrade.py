"""Down-conversion of a generated OpenAPI 3.1 document to OpenAPI 3.0 (`get_openapi(openapi_version="3.0.3")`).

Startup code, run once on the finished 3.1 document. The document is walked by its structure (paths ->
operations -> parameters / bodies / responses -> media types -> schemas) so that only real Schema Objects
are rewritten: an `examples` map on a Media Type Object is valid 3.0 and stays, while a JSON Schema
`examples` list becomes `example`. Values (`default`, `enum`, `example`) are data and are never touched.

The rules, one small function each below:
- `type: [T, "null"]`, `anyOf`/`oneOf` with a `{"type": "null"}` option -> `nullable: true` (a lone `$ref`
  option is wrapped in `allOf`, because 3.0 ignores the siblings of `$ref`); a lone `{"type": "null"}` ->
  `nullable: true, enum: [null]`; several non-null types -> `anyOf` of one type each
- `const: x` -> `enum: [x]`; a JSON Schema `examples: [a, ...]` -> `example: a`
- numeric `exclusiveMinimum`/`exclusiveMaximum` -> `minimum`/`maximum` plus the 3.0 boolean flag
- `contentMediaType` (binary content) -> `format: binary`; `contentEncoding: base64` -> `format: byte`
- `prefixItems` (tuples) -> `items` (the one shared schema, or `anyOf` of the positions); `patternProperties`
  -> `additionalProperties`; an array without `items` gets `items: {}` (required in 3.0)
- `$ref` with sibling keywords -> `allOf: [{$ref}]` plus the siblings; boolean schemas -> `{}` / `{"not": {}}`
- JSON Schema keywords 3.0 cannot express (`$schema`, `$id`, `$comment`, `if`/`then`/`else`, ...) are dropped;
  any other keyword 3.0 does not know is kept as an `x-` extension
- document level: `webhooks` -> `x-webhooks` (the extension ReDoc reads), `info.summary` -> `info.description`
  when there is none, `license.identifier` -> an SPDX `url`, `jsonSchemaDialect` and `components.pathItems`
  dropped, a Media Type's `itemSchema` (streams) -> `x-itemSchema`
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["downgrade_document", "downgrade_schema", "is_openapi_30"]

Schema = dict[str, Any]

# Every keyword a 3.0 Schema Object accepts (besides `x-...` extensions).
_SCHEMA_30_KEYWORDS = frozenset({
    "$ref", "title", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength",
    "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxProperties", "minProperties", "required",
    "enum", "type", "allOf", "oneOf", "anyOf", "not", "items", "properties", "additionalProperties",
    "description", "format", "default", "nullable", "discriminator", "readOnly", "writeOnly", "xml",
    "externalDocs", "example", "deprecated",
})
# JSON Schema 2020-12 keywords with no 3.0 meaning: dropped rather than kept as extensions.
_DROPPED_KEYWORDS = frozenset({
    "$schema", "$id", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary", "$comment", "$defs",
    "definitions", "if", "then", "else", "dependentSchemas", "dependentRequired", "unevaluatedItems",
    "unevaluatedProperties", "contains", "minContains", "maxContains", "propertyNames", "contentSchema",
})
# Keywords whose value is one schema, a list of schemas, or a map of name -> schema.
_ONE_SCHEMA = frozenset({
    "items", "not", "additionalProperties", "contains", "if", "then", "else", "propertyNames", "contentSchema",
    "unevaluatedItems", "unevaluatedProperties",
})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_NULL = {"type": "null"}


def is_openapi_30(version: str) -> bool:
    """Whether an `openapi_version` asks for a 3.0 document (and so for the down-conversion)."""
    return version.startswith("3.0")


# -- schemas ------------------------------------------------------------------------------------------------


def downgrade_schema(schema: Any) -> Any:
    """A JSON Schema 2020-12 (as OpenAPI 3.1 uses it) rewritten as a 3.0 Schema Object; the input is untouched."""
    if isinstance(schema, bool):
        return {} if schema else {"not": {}}
    if not isinstance(schema, dict):
        return schema
    node = _lift_null(dict(schema))
    node = _split_type_list(node)
    node = {key: _downgrade_keyword(key, value) for key, value in node.items()}
    for rule in _KEYWORD_RULES:
        rule(node)
    return _wrap_ref(node)


def _downgrade_keyword(key: str, value: Any) -> Any:
    if key == "additionalProperties" and isinstance(value, bool):
        return value  # NOTE: 3.0 accepts a boolean here, and only here.
    if (key in _SCHEMA_LISTS or key == "items") and isinstance(value, list):
        return [downgrade_schema(item) for item in value]
    if key in _ONE_SCHEMA:
        return downgrade_schema(value)
    if key in _SCHEMA_MAPS and isinstance(value, dict):
        return {name: downgrade_schema(item) for name, item in value.items()}
    return value


def _is_null(option: Any) -> bool:
    return isinstance(option, dict) and option.get("type") == "null" and "$ref" not in option


def _lift_null(node: Schema) -> Schema:
    """`type: "null"` anywhere in the node's own type or its union options becomes `nullable: true`."""
    kind = node.get("type")
    if kind == "null":
        node.pop("type")
        return _nullable(node)
    if isinstance(kind, list) and "null" in kind:
        rest = [item for item in kind if item != "null"]
        node["type"] = rest[0] if len(rest) == 1 else rest
        if not rest:
            node.pop("type")
        return _nullable(node)
    for key in ("anyOf", "oneOf"):
        options = node.get(key)
        if isinstance(options, list) and any(_is_null(option) for option in options):
            return _lift_null_option(node, key, [option for option in options if not _is_null(option)])
    return node


def _lift_null_option(node: Schema, key: str, rest: list[Any]) -> Schema:
    """`anyOf: [X, null]` -> X's keywords merged into the node, or `allOf: [X]` when they would clash."""
    outer = {name: value for name, value in node.items() if name != key}
    if len(rest) > 1:
        return _nullable({key: rest, **outer})
    if not rest:
        return _nullable(outer)
    only = rest[0]
    if not isinstance(only, dict):
        return _nullable({"allOf": [only], **outer})
    if "$ref" in only or set(only) & set(outer):
        all_of = [*outer.pop("allOf", []), only]
        return _nullable({"allOf": all_of, **outer})
    return _nullable(_lift_null({**only, **outer}))


def _nullable(node: Schema) -> Schema:
    node["nullable"] = True
    if not any(key in node for key in ("type", "allOf", "anyOf", "oneOf", "$ref", "enum", "const")):
        node["enum"] = [None]  # NOTE: a schema that only admits null: 3.0 has no "null" type.
    return node


def _split_type_list(node: Schema) -> Schema:
    """`type: [A, B]` (no null left) -> `anyOf: [{type: A}, {type: B}]`; 3.0 allows one type per schema."""
    kind = node.get("type")
    if not isinstance(kind, list):
        return node
    options = [{"type": item} for item in kind]
    node.pop("type")
    if len(options) == 1:
        return {**options[0], **node}
    if "anyOf" in node:
        return {"allOf": [{"anyOf": options}, {"anyOf": node.pop("anyOf")}], **node}
    return {"anyOf": options, **node}


def _const_to_enum(node: Schema) -> None:
    if "const" in node:
        value = node.pop("const")
        node.setdefault("enum", [value])


def _null_in_enum(node: Schema) -> None:
    # NOTE: 3.0.3 says a nullable schema with an enum admits null only if the enum lists it.
    if node.get("nullable") is True and isinstance(node.get("enum"), list) and None not in node["enum"]:
        node["enum"] = [*node["enum"], None]


def _examples_to_example(node: Schema) -> None:
    examples = node.pop("examples", None)
    if isinstance(examples, list) and examples and "example" not in node:
        node["example"] = examples[0]


def _exclusive_bounds(node: Schema) -> None:
    """A numeric `exclusiveMinimum: n` -> `minimum: n, exclusiveMinimum: true` (the stricter bound wins)."""
    for bound, exclusive, stricter in (("minimum", "exclusiveMinimum", max), ("maximum", "exclusiveMaximum", min)):
        value = node.get(exclusive)
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        inclusive = node.get(bound)
        if isinstance(inclusive, int | float) and stricter(inclusive, value) == inclusive and inclusive != value:
            node.pop(exclusive)  # the inclusive bound already excludes the exclusive one
            continue
        node[bound] = value
        node[exclusive] = True


def _content_to_format(node: Schema) -> None:
    """`contentMediaType`/`contentEncoding` -> the 3.0 `format` for file and base64 strings."""
    media_type = node.pop("contentMediaType", None)
    encoding = node.pop("contentEncoding", None)
    if "format" in node or node.get("type") != "string":
        return
    if encoding == "base64":
        node["format"] = "byte"
    elif isinstance(media_type, str) and not _is_textual(media_type):
        node["format"] = "binary"


def _is_textual(media_type: str) -> bool:
    return media_type.startswith("text/") or media_type.endswith(("json", "xml"))


def _prefix_items(node: Schema) -> None:
    """Tuples: `prefixItems: [A, B]` -> `items: {anyOf: [A, B]}` (3.0 cannot type each position)."""
    if isinstance(node.get("items"), list):  # the draft-4 spelling of a tuple
        node["prefixItems"] = node.pop("items")
    prefix = node.pop("prefixItems", None)
    if not isinstance(prefix, list):
        return
    rest = node.get("items")
    if rest is False or rest == {"not": {}}:
        node.setdefault("maxItems", len(prefix))
    options = _unique([*prefix, *([rest] if isinstance(rest, dict) and rest != {"not": {}} else [])])
    node["items"] = options[0] if len(options) == 1 else ({"anyOf": options} if options else {})


def _unique(schemas: Iterable[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for schema in schemas:
        seen.setdefault(json.dumps(schema, sort_keys=True), schema)
    return list(seen.values())


def _pattern_properties(node: Schema) -> None:
    """`patternProperties` -> `additionalProperties` (3.0 cannot constrain property names)."""
    patterns = node.pop("patternProperties", None)
    if not isinstance(patterns, dict) or not patterns or "additionalProperties" in node:
        return
    options = _unique(patterns.values())
    node["additionalProperties"] = options[0] if len(options) == 1 else {"anyOf": options}


def _array_items(node: Schema) -> None:
    if node.get("type") == "array" and "items" not in node:
        node["items"] = {}


def _unknown_keywords(node: Schema) -> None:
    """Drop 2020-12-only keywords; keep any other keyword 3.0 does not know as an `x-` extension."""
    for key in [key for key in node if key not in _SCHEMA_30_KEYWORDS and not key.startswith("x-")]:
        value = node.pop(key)
        if key not in _DROPPED_KEYWORDS:
            node.setdefault(f"x-{key}", value)


_KEYWORD_RULES: tuple[Callable[[Schema], None], ...] = (
    _const_to_enum, _null_in_enum, _examples_to_example, _exclusive_bounds, _content_to_format, _prefix_items,
    _pattern_properties, _array_items, _unknown_keywords,
)


def _wrap_ref(node: Schema) -> Schema:
    """3.0 ignores every keyword next to `$ref`: move the reference into `allOf` so they still apply."""
    if "$ref" not in node or len(node) == 1:
        return node
    reference = {"$ref": node.pop("$ref")}
    all_of = [reference, *node.pop("allOf", [])]
    return {"allOf": all_of, **node}


# -- the document's structure -------------------------------------------------------------------------------


def downgrade_document(document: dict[str, Any], version: str = "3.0.3") -> dict[str, Any]:
    """A 3.0 copy of a 3.1 OpenAPI document (see the module docstring for the rules)."""
    result = copy.deepcopy(document)
    result["openapi"] = version
    result.pop("jsonSchemaDialect", None)
    if isinstance(result.get("info"), dict):
        _info(result["info"])
    _each_value(result.get("paths"), _path_item)
    webhooks = result.pop("webhooks", None)
    if webhooks:
        _each_value(webhooks, _path_item)
        result["x-webhooks"] = webhooks
    if isinstance(result.get("components"), dict):
        _components(result["components"])
    return result


def _each_value(mapping: Any, convert: Callable[[Any], None]) -> None:
    if isinstance(mapping, dict):
        for value in mapping.values():
            convert(value)


def _info(info: dict[str, Any]) -> None:
    summary = info.pop("summary", None)
    if summary and not info.get("description"):
        info["description"] = summary
    license_info = info.get("license")
    if isinstance(license_info, dict) and "identifier" in license_info:
        identifier = license_info.pop("identifier")
        license_info.setdefault("url", f"https://spdx.org/licenses/{identifier}.html")


def _schema_at(holder: dict[str, Any], key: str) -> None:
    if key in holder:
        holder[key] = downgrade_schema(holder[key])


def _path_item(item: Any) -> None:
    if not isinstance(item, dict):
        return
    for parameter in item.get("parameters", []):
        _parameter(parameter)
    for method in _HTTP_METHODS:
        if isinstance(item.get(method), dict):
            _operation(item[method])


def _operation(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        _parameter(parameter)
    _request_body(operation.get("requestBody"))
    _each_value(operation.get("responses"), _response)
    for callback in (operation.get("callbacks") or {}).values():
        _each_value(callback, _path_item)


def _request_body(body: Any) -> None:
    if isinstance(body, dict):
        _content(body)


def _parameter(parameter: Any) -> None:
    if isinstance(parameter, dict):
        _schema_at(parameter, "schema")
        _content(parameter)


def _response(response: Any) -> None:
    if isinstance(response, dict):
        _each_value(response.get("headers"), _parameter)
        _content(response)


def _content(holder: dict[str, Any]) -> None:
    """Each Media Type Object under `content`: its schema, its encodings' headers, and stream item schemas."""
    for media in (holder.get("content") or {}).values():
        if not isinstance(media, dict):
            continue
        _schema_at(media, "schema")
        if "itemSchema" in media:
            media["x-itemSchema"] = downgrade_schema(media.pop("itemSchema"))
        for encoding in (media.get("encoding") or {}).values():
            if isinstance(encoding, dict):
                _each_value(encoding.get("headers"), _parameter)


def _components(components: dict[str, Any]) -> None:
    schemas = components.get("schemas")
    if isinstance(schemas, dict):
        components["schemas"] = {name: downgrade_schema(schema) for name, schema in schemas.items()}
    _each_value(components.get("responses"), _response)
    _each_value(components.get("parameters"), _parameter)
    _each_value(components.get("headers"), _parameter)
    _each_value(components.get("requestBodies"), _request_body)
    for callback in (components.get("callbacks") or {}).values():
        _each_value(callback, _path_item)
    path_items = components.pop("pathItems", None)
    if path_items:
        _each_value(path_items, _path_item)
        components["x-pathItems"] = path_items
