"""`SecurityScopes`, in a module of its own: the dependency analyser recognises it in every signature it reads,
and importing it must not import the scheme classes and the OpenAPI models they publish."""

__all__ = ["SecurityScopes"]


class SecurityScopes:
    """Injected into a dependency to tell it which OAuth2 scopes the dependants above it require.

    `scopes` lists them all (from every `Security(..., scopes=[...])` on the way down); `scope_str` joins
    them with spaces, ready for a `WWW-Authenticate: Bearer scope="..."` challenge.
    """

    def __init__(self, scopes: list[str] | None = None) -> None:
        self.scopes: list[str] = scopes or []
        self.scope_str: str = " ".join(self.scopes)
