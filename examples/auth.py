"""`/token`: the OAuth2 password flow's token endpoint (the one /docs' "Authorize" button talks to).

Login attempts are rate limited twice: per client address, which slows down guessing from one machine, and per
username, which slows down guessing one account's password from many machines. Past either limit the answer
is a 429 with `Retry-After`, before any password is checked; the OpenAPI document shows it. The counters are
shared by every worker when the application runs with Redis (see `shared.py`).
"""

from __future__ import annotations

from typing import Annotated, cast

from vivace import APIRouter, Depends, HTTPException, status
from vivace.ratelimit import ConnectedBackend, RateLimit
from vivace.security import OAuth2PasswordRequestForm

from .database import SessionDep
from .schemas import Token
from .security import authenticate
from .settings import SettingsDep
from .shared import SharedRateLimitBackend
from .tokens import create_access_token

__all__ = ["LOGINS_PER_ADDRESS", "LOGINS_PER_USERNAME", "login_counters", "router"]

router = APIRouter()

# NOTE: an office behind one NAT address shares the first budget, so it is the larger one; the second lets a
# user mistype a few times. Both are spent by successful logins too: a client logs in once per token lifetime.
LOGINS_PER_ADDRESS = "20/minute"
LOGINS_PER_USERNAME = "5/minute"

login_counters = SharedRateLimitBackend()
# NOTE: the protocol's `connect` takes no parameter, but vivace resolves it as an app-scoped dependency, which
# may depend on others (here the settings): the cast says so to the type checker.
_counters = cast("ConnectedBackend", login_counters)


async def login_username(form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> str:
    """The username a login attempt is for: the key of the per-username limit (the form is parsed once)."""
    return form.username.lower()


per_address = RateLimit(LOGINS_PER_ADDRESS, name="login-address", backend=_counters)
per_username = RateLimit(LOGINS_PER_USERNAME, name="login-username", key=Depends(login_username), backend=_counters)


@router.post(
    "/token",
    responses={400: {"description": "Incorrect username or password"}},
    dependencies=[Depends(per_address), Depends(per_username)],
)
async def log_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, settings: SettingsDep
) -> Token:
    """Exchange a username and password (an HTML form, as OAuth2 wants) for a bearer token.

    At most 20 attempts a minute from one address and 5 a minute for one username: past that, 429.
    """
    user = await authenticate(session, form.username, form.password)
    if user is None:
        # NOTE: 400 is what RFC 6749 (5.2, invalid_grant) prescribes for wrong credentials at this endpoint.
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="Incorrect username or password")
    return Token(access_token=create_access_token(user.id, settings))
