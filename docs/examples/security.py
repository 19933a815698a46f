from typing import Annotated

from pydantic import BaseModel

from vivace import Depends, FastAPI, HTTPException, Security, status
from vivace.security import APIKeyHeader, HTTPBasic, HTTPBasicCredentials, HTTPBearer, SecurityScopes
from vivace.security import HTTPAuthorizationCredentials as Bearer

app = FastAPI()

# Each scheme is a dependency: it reads the credentials, and answers 401 by itself when they are missing.
bearer = HTTPBearer()
basic = HTTPBasic()
api_key = APIKeyHeader(name="X-API-Key")


class User(BaseModel):
    name: str
    scopes: list[str]


TOKENS = {"t-ada": User(name="ada", scopes=["read", "write"]), "t-bob": User(name="bob", scopes=["read"])}


def current_user(scopes: SecurityScopes, credentials: Annotated[Bearer, Depends(bearer)]) -> User:
    user = TOKENS.get(credentials.credentials)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Invalid token", {"WWW-Authenticate": "Bearer"})
    missing = set(scopes.scopes) - set(user.scopes)
    if missing:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"Missing scope: {', '.join(sorted(missing))}")
    return user


@app.get("/documents")
async def read_documents(user: Annotated[User, Security(current_user, scopes=["read"])]) -> dict[str, str]:
    return {"reader": user.name}


@app.post("/documents")
async def write_document(user: Annotated[User, Security(current_user, scopes=["write"])]) -> dict[str, str]:
    return {"writer": user.name}


@app.get("/basic")
async def basic_login(credentials: Annotated[HTTPBasicCredentials, Depends(basic)]) -> dict[str, str]:
    return {"username": credentials.username}


@app.get("/service")
async def service(key: Annotated[str, Depends(api_key)]) -> dict[str, int]:
    return {"key_length": len(key)}
