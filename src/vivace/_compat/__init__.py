"""Names code written for FastAPI imports from `fastapi._compat`: version facts, `ModelField` and field helpers.

The module is private in FastAPI too; vivace mirrors the names that extension libraries and FastAPI's own tests
import (docs/differences.md lists them), each over vivace's own analysis.
"""

from pydantic import PydanticSchemaGenerationError
from pydantic.version import VERSION as PYDANTIC_VERSION
from pydantic_core import PydanticUndefined, Url
from pydantic_core.core_schema import with_info_plain_validator_function

from vivace._compat import shared, v2
from vivace._compat.fields import (
    copy_field_info,
    create_body_model,
    evaluate_forwardref,
    get_cached_model_fields,
    get_missing_field_error,
    is_bytes_field,
    is_bytes_sequence_field,
    is_scalar_field,
    is_scalar_sequence_field,
    serialize_sequence_value,
)
from vivace._compat.shared import (
    annotation_is_pydantic_v1,
    field_annotation_is_scalar,
    field_annotation_is_scalar_sequence,
    field_annotation_is_sequence,
    is_bytes_or_nonable_bytes_annotation,
    is_bytes_sequence_annotation,
    is_pydantic_v1_model_instance,
    is_uploadfile_or_nonable_uploadfile_annotation,
    is_uploadfile_sequence_annotation,
    lenient_issubclass,
    sequence_types,
    value_is_sequence,
)
from vivace._compat.v2 import ModelField

__all__ = [
    "PYDANTIC_V2",
    "PYDANTIC_VERSION",
    "PYDANTIC_VERSION_MINOR_TUPLE",
    "ModelField",
    "PydanticSchemaGenerationError",
    "RequiredParam",
    "Undefined",
    "Url",
    "annotation_is_pydantic_v1",
    "copy_field_info",
    "create_body_model",
    "evaluate_forwardref",
    "field_annotation_is_scalar",
    "field_annotation_is_scalar_sequence",
    "field_annotation_is_sequence",
    "get_cached_model_fields",
    "get_missing_field_error",
    "is_bytes_field",
    "is_bytes_or_nonable_bytes_annotation",
    "is_bytes_sequence_annotation",
    "is_bytes_sequence_field",
    "is_pydantic_v1_model_instance",
    "is_scalar_field",
    "is_scalar_sequence_field",
    "is_uploadfile_or_nonable_uploadfile_annotation",
    "is_uploadfile_sequence_annotation",
    "lenient_issubclass",
    "sequence_types",
    "serialize_sequence_value",
    "shared",
    "v2",
    "value_is_sequence",
    "with_info_plain_validator_function",
]

PYDANTIC_VERSION_MINOR_TUPLE: tuple[int, ...] = tuple(int(part) for part in PYDANTIC_VERSION.split(".")[:2])
PYDANTIC_V2 = PYDANTIC_VERSION_MINOR_TUPLE[0] == 2

#: the "no default" marker of Pydantic fields and of parameter functions (`Query()` with no default)
Undefined = PydanticUndefined
#: FastAPI's name for the default of a required parameter
RequiredParam = PydanticUndefined
