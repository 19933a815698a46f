"""vivace: FastAPI's public API, compiled into flat per-route plans at startup."""

__version__ = "0.1.0"

from starlette import status as status

from vivace.applications import FastAPI as FastAPI
from vivace.applications import Vivace as Vivace
from vivace.background import BackgroundTasks as BackgroundTasks
from vivace.datastructures import UploadFile as UploadFile
from vivace.exceptions import HTTPException as HTTPException
from vivace.exceptions import WebSocketException as WebSocketException
from vivace.param_functions import Body as Body
from vivace.param_functions import Cookie as Cookie
from vivace.param_functions import Depends as Depends
from vivace.param_functions import File as File
from vivace.param_functions import Form as Form
from vivace.param_functions import Header as Header
from vivace.param_functions import Path as Path
from vivace.param_functions import Query as Query
from vivace.param_functions import Security as Security
from vivace.requests import Request as Request
from vivace.responses import Response as Response
from vivace.routing import APIRouter as APIRouter
from vivace.websockets import WebSocket as WebSocket
from vivace.websockets import WebSocketDisconnect as WebSocketDisconnect

__all__ = [
    "APIRouter",
    "BackgroundTasks",
    "Body",
    "Cookie",
    "Depends",
    "FastAPI",
    "File",
    "Form",
    "HTTPException",
    "Header",
    "Path",
    "Query",
    "Request",
    "Response",
    "Security",
    "UploadFile",
    "Vivace",
    "WebSocket",
    "WebSocketDisconnect",
    "WebSocketException",
    "__version__",
    "status",
]
