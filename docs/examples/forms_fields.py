"""Form fields, a form model and a union of form models (docs/guide/forms-and-files.md)."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from vivace import FastAPI, Form

app = FastAPI()


# Each Form() parameter is one field of an HTML form (urlencoded or multipart).
@app.post("/login")
async def login(
    username: Annotated[str, Form(min_length=3)],
    password: Annotated[str, Form()],
    remember: Annotated[bool, Form()] = False,
) -> dict[str, object]:
    return {"username": username, "remember": remember}


# A model annotated with Form() is filled field by field from the form.
class Newsletter(BaseModel):
    model_config = {"extra": "forbid"}

    email: str
    topics: list[str] = []
    frequency: Literal["daily", "weekly"] = "weekly"


@app.post("/newsletter")
async def subscribe(signup: Annotated[Newsletter, Form()]) -> Newsletter:
    return signup


# A union of models: the `kind` field says which one the form describes.
class Person(BaseModel):
    kind: Literal["person"]
    name: str


class Company(BaseModel):
    kind: Literal["company"]
    company_name: str
    employees: int = Field(default=1, ge=1)


@app.post("/contacts")
async def add_contact(contact: Annotated[Person | Company, Form(discriminator="kind")]) -> Person | Company:
    return contact
