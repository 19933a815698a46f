"""Application settings, read once from `NOTES_*` environment variables and provided as a dependency."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ENV_PREFIX", "Settings", "get_settings"]

ENV_PREFIX = "NOTES_"


class Settings(BaseModel):
    """Everything an operator may tune; frozen so a request cannot change it for the next one."""

    model_config = ConfigDict(frozen=True)

    app_name: str = "vivace notes"
    max_notes_per_user: int = Field(default=500, ge=1)
    max_page_size: int = Field(default=50, ge=1)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build from `NOTES_APP_NAME`, `NOTES_MAX_NOTES_PER_USER`, ...; unset variables keep their default."""
        env = os.environ if environ is None else environ
        found = {name: env[ENV_PREFIX + name.upper()] for name in cls.model_fields if ENV_PREFIX + name.upper() in env}
        return cls.model_validate(found)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The dependency: one Settings for the process. Tests replace it with `app.dependency_overrides`."""
    return Settings.from_env()
