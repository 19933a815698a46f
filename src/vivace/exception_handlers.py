"""The default exception handlers, importable to wrap or reuse them in custom handlers."""

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.status import WS_1008_POLICY_VIOLATION
from starlette.websockets import WebSocket

from vivace._json_safe import ErrorJSONResponse
from vivace.encoders import jsonable_encoder
from vivace.exceptions import RequestValidationError, WebSocketRequestValidationError
from vivace.utils import is_body_allowed_for_status_code


async def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    """`{"detail": exc.detail}` with the exception's status and headers (no body for 1xx/204/205/304)."""
    headers = getattr(exc, "headers", None)
    if not is_body_allowed_for_status_code(exc.status_code):
        return Response(status_code=exc.status_code, headers=headers)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def request_validation_exception_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with `{"detail": [...errors...]}`; echoed inputs JSON cannot carry (`NaN`, `1e400`) are written as text."""
    return ErrorJSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)


async def websocket_request_validation_exception_handler(
    websocket: WebSocket, exc: WebSocketRequestValidationError
) -> None:
    """Close the WebSocket with code 1008 (policy violation), the errors as the reason."""
    # NOTE: the reason is the encoded error list itself, not a JSON string, as FastAPI sends it.
    await websocket.close(code=WS_1008_POLICY_VIOLATION, reason=jsonable_encoder(exc.errors()))
