from pydantic import BaseModel

from vivace import FastAPI

app = FastAPI()


class AccountIn(BaseModel):
    username: str
    password: str


class AccountOut(BaseModel):
    username: str


class Account(AccountOut):
    password_hash: str


class Settings(BaseModel):
    theme: str = "light"
    language: str = "en"
    beta: bool = False


def fake_hash(password: str) -> str:
    return "hashed-" + password


# The return annotation is the response model: only its fields are sent.
@app.post("/accounts", status_code=201)
async def create_account(account: AccountIn) -> AccountOut:
    stored = Account(username=account.username, password_hash=fake_hash(account.password))
    return stored


# response_model wins over the annotation when the endpoint returns a different (wider) type.
@app.get("/accounts/{username}", response_model=AccountOut)
async def read_account(username: str) -> Account:
    return Account(username=username, password_hash="hashed-secret")


# exclude_unset: send only the fields that were actually set, not the defaults.
@app.get("/settings/{username}", response_model=Settings, response_model_exclude_unset=True)
async def read_settings(username: str) -> Settings:
    return Settings(theme="dark") if username == "ada" else Settings()
