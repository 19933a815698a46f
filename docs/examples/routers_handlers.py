# Exception handlers that belong to one router: a partner API with its own error format.
from vivace import APIRouter, FastAPI, HTTPException, Request
from vivace.responses import JSONResponse

app = FastAPI()

orders = {1: "open", 2: "paid"}


class PaymentDeclined(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


# The public API keeps FastAPI's error bodies: {"detail": ...}.
@app.get("/orders/{order_id}")
async def read_order(order_id: int) -> dict[str, str]:
    if order_id not in orders:
        raise HTTPException(404, "No such order")
    return {"status": orders[order_id]}


# Partners get {"error": {"code": ..., "message": ...}} from every route of this router.
partners = APIRouter(prefix="/partners")


@partners.exception_handler(HTTPException)
async def partner_http_error(request: Request, exc: HTTPException) -> JSONResponse:
    body = {"error": {"code": exc.status_code, "message": exc.detail}}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


@partners.exception_handler(PaymentDeclined)
def partner_declined(request: Request, exc: PaymentDeclined) -> JSONResponse:
    # a plain `def` handler runs in the thread pool, as on the app
    return JSONResponse({"error": {"code": "declined", "message": exc.reason}}, status_code=402)


@partners.get("/orders/{order_id}")
async def partner_order(order_id: int) -> dict[str, str]:
    if order_id not in orders:
        raise HTTPException(404, "No such order")
    return {"status": orders[order_id]}


@partners.post("/orders/{order_id}/payment")
async def pay(order_id: int) -> dict[str, str]:
    raise PaymentDeclined("card expired")


app.include_router(partners)


# A handler for one inclusion only: the same router served a second time, for a legacy client.
legacy = APIRouter()


@legacy.get("/ping")
async def ping() -> dict[str, str]:
    raise HTTPException(503, "Maintenance")


async def legacy_unavailable(request: Request, exc: HTTPException) -> JSONResponse:
    return JSONResponse({"ok": False}, status_code=200)


app.include_router(legacy, prefix="/v1", exception_handlers={503: legacy_unavailable})
app.include_router(legacy, prefix="/v2")
