# Before: `from fastapi import Depends, FastAPI` (and `from fastapi.responses import ...`).
# After: the same names, from vivace.
from typing import Annotated

from vivace import Depends, FastAPI
from vivace.responses import PlainTextResponse

app = FastAPI()


def get_prefix() -> str:
    return ">> "


@app.get("/echo/{text}", response_class=PlainTextResponse)
async def echo(text: str, prefix: Annotated[str, Depends(get_prefix)]) -> str:
    return prefix + text
