"""CORS middleware, re-exported from Starlette under FastAPI's module path."""

from starlette.middleware.cors import CORSMiddleware as CORSMiddleware
