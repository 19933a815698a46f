"""Form and file request bodies in the document as FastAPI 0.165 writes them.

Covers form models (alone, optional, nullable and required, unions, next to other form fields), file lists,
and form fields with aliases, examples and descriptions; each app is built on vivace and on FastAPI and the two
documents must be the same JSON text (tests/openapi/openapi_support.py).
"""

from types import SimpleNamespace
from typing import Annotated, Any

import pytest
from openapi_support import assert_same_document
from pydantic import AliasChoices, AliasPath, BaseModel, ConfigDict, Field


class Login(BaseModel):
    username: str
    password: str = Field(min_length=8, description="At least eight characters")


class Profile(BaseModel):
    nickname: str | None = None
    bio: str = Field("", max_length=200, examples=["Hello"])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")

    note: str = ""


class Aliased(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    full_name: str = Field(alias="fullName")
    user_id: int = Field(validation_alias=AliasChoices("userId", "uid"))
    city: str = Field("", validation_alias="town")
    zip_code: str
    country: str = Field("", validation_alias=AliasChoices("country", AliasPath("address", 0)))


class ByName(BaseModel):
    model_config = ConfigDict(validate_by_alias=False, validate_by_name=True)

    first_name: str = Field(alias="firstName")


def test_form_model_alone_and_optional() -> None:
    """A form model alone is its own schema; an optional one makes a Body_ model that may be empty."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.post("/login")
        def login(data: Annotated[Login, fw.Form()]) -> None:
            pass

        @app.post("/profile")
        def profile(data: Annotated[Profile | None, fw.Form()] = None) -> None:
            pass

        @app.post("/strict")
        def strict(data: Annotated[Strict | None, fw.Form()] = None) -> None:
            pass

        return app

    assert_same_document(build)


def test_form_model_next_to_other_form_fields() -> None:
    """A form model next to plain fields: the model goes into allOf, the fields stay properties."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.post("/signup")
        def signup(
            login: Annotated[Login, fw.Form()],
            accept: Annotated[bool, fw.Form(description="Terms accepted")],
            referrer: Annotated[str | None, fw.Form()] = None,
        ) -> None:
            pass

        @app.post("/two-models")
        def two_models(
            login: Annotated[Login, fw.Form()], profile: Annotated[Profile | None, fw.Form()] = None
        ) -> None:
            pass

        @app.post("/required-nullable")
        def required_nullable(
            profile: Annotated[Profile | None, fw.Form()], extra: Annotated[Open | None, fw.Form()] = None
        ) -> None:
            pass

        return app

    assert_same_document(build)


def test_form_model_with_aliases_in_a_mixed_form() -> None:
    """Aliased model fields are listed under the keys the form accepts, AliasChoices as alternatives."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.post("/aliased")
        def aliased(person: Annotated[Aliased, fw.Form()], tag: Annotated[str, fw.Form()] = "") -> None:
            pass

        @app.post("/by-name")
        def by_name(person: Annotated[ByName | None, fw.Form()] = None, q: Annotated[int, fw.Form()] = 0) -> None:
            pass

        @app.post("/aliased-alone")
        def aliased_alone(person: Annotated[Aliased, fw.Form()]) -> None:
            pass

        return app

    assert_same_document(build)


def test_form_field_repeated_by_two_parameters() -> None:
    """Two parameters with the same form key: the second one's schema becomes an allOf condition."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.post("/repeat")
        def repeat(
            profile: Annotated[Profile, fw.Form()],
            first: Annotated[str, fw.Form(alias="bio")],
            second: Annotated[int, fw.Form(alias="bio")] = 0,
        ) -> None:
            pass

        return app

    assert_same_document(build)


def test_form_union_of_models() -> None:
    """A union of form models in a mixed form; a lone union is an ordinary body."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.post("/either")
        def either(data: Annotated[Login | Strict, fw.Form()], extra: Annotated[str, fw.Form()] = "") -> None:
            pass

        @app.post("/annotated-members")
        def annotated_members(
            data: Annotated[Annotated[Login, "login"] | Annotated[Strict, "strict"], fw.Form()],
            extra: Annotated[str, fw.Form()] = "",
        ) -> None:
            pass

        @app.post("/either-alone")
        def either_alone(data: Annotated[Login | Strict | None, fw.Form()] = None) -> None:
            pass

        return app

    assert_same_document(build)


def test_form_fields_with_aliases_examples_and_descriptions() -> None:
    """Plain form fields keep their alias, validation alias, examples, description, title and constraints."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.post("/fields")
        def fields(
            user_name: Annotated[str, fw.Form(alias="userName", description="Who", examples=["ann"])],
            age: Annotated[int, fw.Form(validation_alias="years", ge=0, title="Age in years")],
            colour: Annotated[str, fw.Form(validation_alias=AliasChoices("colour", "color"))] = "red",
            tags: Annotated[list[str], fw.Form(openapi_examples={"two": {"value": ["a", "b"]}})] = [],  # noqa: B006
            note: Annotated[str | None, fw.Form(deprecated=True, max_length=10)] = None,
        ) -> None:
            pass

        return app

    assert_same_document(build)


def test_file_lists_and_uploads() -> None:
    """Files, optional files and lists of files make multipart bodies with binary schemas."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.post("/many")
        def many(
            files: list[fw.UploadFile],
            raw: Annotated[list[bytes], fw.File(description="Raw parts")],
            token: Annotated[str, fw.Form()],
        ) -> None:
            pass

        @app.post("/optional")
        def optional(
            avatar: fw.UploadFile | None = None,
            extras: Annotated[list[fw.UploadFile] | None, fw.File(alias="extra")] = None,
        ) -> None:
            pass

        @app.post("/single-list")
        def single_list(files: Annotated[list[bytes], fw.File()]) -> None:
            pass

        @app.post("/with-model")
        def with_model(profile: Annotated[Profile, fw.Form()], picture: fw.UploadFile) -> None:
            pass

        return app

    assert_same_document(build)


def test_form_media_types() -> None:
    """A form's media type comes from its declarations; a file anywhere makes it multipart."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI()

        @app.post("/multipart")
        def multipart(name: Annotated[str, fw.Form(media_type="multipart/form-data")]) -> None:
            pass

        @app.post("/mixed")
        def mixed(
            a: Annotated[str, fw.Form()], b: Annotated[str, fw.Form(media_type="multipart/form-data")]
        ) -> None:
            pass

        return app

    assert_same_document(build)


@pytest.mark.parametrize("separate", [True, False], ids=["separate", "shared"])
def test_form_bodies_with_shared_schemas(separate: bool) -> None:
    """separate_input_output_schemas=False keeps form models and generated bodies in one schema."""

    def build(fw: SimpleNamespace) -> Any:
        app = fw.FastAPI(separate_input_output_schemas=separate)

        @app.post("/profile")
        def profile(
            profile: Annotated[Profile | None, fw.Form()] = None, token: Annotated[str, fw.Form()] = ""
        ) -> Profile:
            return Profile()

        @app.post("/upload")
        def upload(file: fw.UploadFile, login: Annotated[Login, fw.Form()]) -> Login:
            return Login(username="", password="")

        return app

    assert_same_document(build)
