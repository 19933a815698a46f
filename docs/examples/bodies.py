from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from vivace import Body, FastAPI

app = FastAPI()


class Address(BaseModel):
    street: str
    city: str
    postcode: str = Field(pattern=r"^[0-9]{5}$")


class Customer(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    email: str
    addresses: list[Address] = []

    @field_validator("email")
    @classmethod
    def email_has_at(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("an email address needs an @")
        return value.lower()


# One model parameter: the whole JSON body is that model.
@app.post("/customers", status_code=201)
async def create_customer(customer: Customer) -> Customer:
    return customer


# Several body parameters: each one is a key of the JSON object.
@app.put("/customers/{customer_id}/address")
async def move(
    customer_id: int,
    address: Address,
    note: Annotated[str, Body(max_length=200)] = "",
) -> dict[str, object]:
    return {"customer_id": customer_id, "address": address, "note": note}


# embed=True: a single model still goes under its own key ({"address": {...}}).
@app.post("/addresses/check")
async def check_address(address: Annotated[Address, Body(embed=True)]) -> dict[str, str]:
    return {"city": address.city}
