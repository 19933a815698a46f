"""Application settings, read from `VIVACE_EXAMPLE_*` environment variables once per application start."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from vivace import Depends

__all__ = ["ENV_PREFIX", "Settings", "SettingsDep", "get_settings"]

ENV_PREFIX = "VIVACE_EXAMPLE_"


def _split_commas(value: Any) -> Any:
    """`VIVACE_EXAMPLE_CORS_ORIGINS=https://a.example,https://b.example` arrives as one string."""
    return [item.strip() for item in value.split(",") if item.strip()] if isinstance(value, str) else value


class Settings(BaseModel):
    """Everything an operator may tune; frozen so that no request can change it for the next one.

    Each field `name` is read from the variable `VIVACE_EXAMPLE_<NAME>`, e.g. `VIVACE_EXAMPLE_DB`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    db: Path = Field(default=Path(".data/example.db"), description="the SQLite file; created on first start")
    # NOTE: without VIVACE_EXAMPLE_SECRET_KEY every start signs with a new key, so a restart logs everyone
    # out, and several workers would not accept each other's tokens. Fine for a demo, not for production.
    secret_key: str = Field(default_factory=lambda: secrets.token_urlsafe(32), min_length=32)
    token_minutes: int = Field(default=60, ge=1)
    cors_origins: Annotated[tuple[str, ...], BeforeValidator(_split_commas)] = (
        "http://localhost:5173",
        "http://127.0.0.1:5173",
    )
    max_upload_bytes: int = Field(default=1024 * 1024, ge=1)
    max_page_size: int = Field(default=50, ge=1)
    max_notes_per_user: int = Field(default=500, ge=1)
    # NOTE: unset, the live feed, the login limits and the notes cache live in this process's memory, which
    # is right for one process (`make run`); with several workers they must share a Redis (`make run-cluster`).
    redis_url: str | None = Field(
        default=None,
        pattern=r"^(redis|rediss|unix)://",
        description="Redis shared by every worker (redis://host:6379/0); unset: memory, one process only",
    )

    @property
    def database_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.db}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build from the `VIVACE_EXAMPLE_*` variables; unset ones keep their default, bad ones raise."""
        env = os.environ if environ is None else environ
        found = {name: env[ENV_PREFIX + name.upper()] for name in cls.model_fields if ENV_PREFIX + name.upper() in env}
        return cls.model_validate(found)


async def get_settings() -> Settings:
    """The settings of the running application: read once at startup (scope="app"), shared by every request."""
    return Settings.from_env()


SettingsDep = Annotated[Settings, Depends(get_settings, scope="app")]
