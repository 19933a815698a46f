"""Password hashing with Argon2 (pwdlib). Hashing is slow on purpose, so it runs in a worker thread."""

from __future__ import annotations

from functools import cache

import anyio
from pwdlib import PasswordHash

__all__ = ["hash_password", "verify_password"]

_hasher = PasswordHash.recommended()


@cache
def _dummy_hash() -> str:
    return _hasher.hash("not a real password")


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher.hash, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    """Check `password`; with no hash (an unknown user) spend the same time and answer no, so that response
    times do not tell which usernames exist."""
    if password_hash is None:
        await anyio.to_thread.run_sync(_hasher.verify, password, _dummy_hash())
        return False
    return await anyio.to_thread.run_sync(_hasher.verify, password, password_hash)
