"""Parsing of the `Authorization` header shared by the HTTP and OAuth2 schemes."""

__all__ = ["get_authorization_scheme_param"]


def get_authorization_scheme_param(authorization_header_value: str | None) -> tuple[str, str]:
    """Split `"Bearer abc"` into `("Bearer", "abc")`; a missing or empty header gives `("", "")`.

    Only the first space separates the scheme; the rest, trimmed, is the parameter (it may be empty).
    """
    if not authorization_header_value:
        return "", ""
    scheme, _, param = authorization_header_value.partition(" ")
    return scheme, param.strip()
