# An HTTP client: its connection pool is reused by every request and closed at shutdown.
from collections.abc import AsyncIterator
from typing import Annotated

import httpx

from vivace import Depends, FastAPI, HTTPException


async def get_http_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url="https://rates.example.com", timeout=5.0) as client:
        yield client


HttpClient = Annotated[httpx.AsyncClient, Depends(get_http_client, scope="app")]

app = FastAPI()


@app.get("/convert")
async def convert(amount: float, currency: str, client: HttpClient) -> dict[str, float]:
    response = await client.get(f"/latest/{currency}")
    if response.status_code != 200:
        raise HTTPException(status_code=502, detail="The rates service did not answer")
    return {"amount": amount * response.json()["rate"]}
