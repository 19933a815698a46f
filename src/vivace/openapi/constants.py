"""Constants shared by the OpenAPI generator; same names and values as `fastapi.openapi.constants`."""

__all__ = ["METHODS_WITH_BODY", "REF_PREFIX", "REF_TEMPLATE"]

# NOTE: GET, HEAD and DELETE are included on purpose: FastAPI documents a request body for any of these
# methods when the endpoint declares one, and vivace must produce the same document.
METHODS_WITH_BODY = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"}

# Where component schemas live in the document, as a `$ref` prefix and as a Pydantic `ref_template`.
REF_PREFIX = "#/components/schemas/"
REF_TEMPLATE = "#/components/schemas/{model}"
