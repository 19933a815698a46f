from vivace import FastAPI, HTTPException, Request
from vivace.exception_handlers import request_validation_exception_handler
from vivace.exceptions import RequestValidationError
from vivace.responses import JSONResponse

app = FastAPI()

stock = {"apple": 3}


# HTTPException: stop here and answer with this status, detail (any JSON value) and headers.
@app.get("/stock/{name}")
async def read_stock(name: str) -> dict[str, int]:
    if name not in stock:
        raise HTTPException(status_code=404, detail={"missing": name}, headers={"X-Reason": "unknown-item"})
    return {name: stock[name]}


# Your own exception type, turned into a response by a handler.
class OutOfStock(Exception):
    def __init__(self, name: str) -> None:
        self.name = name


@app.exception_handler(OutOfStock)
async def out_of_stock(request: Request, exc: OutOfStock) -> JSONResponse:
    return JSONResponse({"detail": f"{exc.name} is sold out", "path": request.url.path}, status_code=409)


@app.post("/stock/{name}/take")
async def take(name: str, count: int = 1) -> dict[str, int]:
    if stock.get(name, 0) < count:
        raise OutOfStock(name)
    stock[name] -= count
    return {name: stock[name]}


# Replacing a built-in handler: log (here: count) validation errors, then answer as vivace would.
validation_failures: list[str] = []


@app.exception_handler(RequestValidationError)
async def count_validation_errors(request: Request, exc: RequestValidationError) -> JSONResponse:
    validation_failures.append(request.url.path)
    return await request_validation_exception_handler(request, exc)
