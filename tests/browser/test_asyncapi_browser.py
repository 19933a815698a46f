"""The AsyncAPI page (/asyncapi) draws the channels and messages in a real browser, offline; /v1/docs works too."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from typing import Any

from pydantic import BaseModel
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from starlette.types import ASGIApp

from vivace import APIRouter, FastAPI, WebSocket
from vivace.asyncapi import AsyncAPI, messages
from vivace.sse import EventSourceResponse
from vivace.versioning import Versions


class Say(BaseModel):
    text: str


class Said(BaseModel):
    user: str
    text: str


def chat_app() -> FastAPI:
    app = FastAPI(title="Chat")

    @app.websocket("/rooms/{room}")
    @messages(receives=Say, sends=Said)
    async def room(websocket: WebSocket, room: str) -> None:
        await websocket.accept()

    @app.get("/said", response_class=EventSourceResponse)
    async def said() -> AsyncIterator[Said]:
        yield Said(user="a", text="b")

    AsyncAPI(app)
    versions = Versions(app, ["1", "2"], header="Accept-Version")
    router = APIRouter()

    @router.get("/ping")
    def ping() -> str:
        return "pong"

    versions.include_router(router)
    return app


def severe(browser: webdriver.Chrome) -> list[str]:
    log: list[dict[str, Any]] = browser.get_log("browser")  # type: ignore[no-untyped-call]  # untyped in selenium
    return [entry["message"] for entry in log if entry["level"] == "SEVERE"]


def test_asyncapi_page_renders_channels(
    browser: webdriver.Chrome,
    live_server: Callable[[ASGIApp], AbstractContextManager[str]],
    network_requests: Callable[[webdriver.Chrome], list[dict[str, Any]]],
) -> None:
    """Each channel shows its address, its send/receive operations and each message's payload fields."""
    with live_server(chat_app()) as base_url:
        severe(browser)
        network_requests(browser)
        browser.get(f"{base_url}/asyncapi")
        WebDriverWait(browser, 15).until(ec.presence_of_element_located((By.ID, "channel-said")))
        room = browser.find_element(By.ID, "channel-room").text
        assert "/rooms/{room}" in room
        assert "SEND" in room.upper() and "RECEIVE" in room.upper()
        assert "Said" in room and "user" in room and "text" in room
        assert browser.find_element(By.CSS_SELECTOR, "header h1").text == "Chat 0.1.0"
        assert severe(browser) == []
        # NOTE: chrome:// pages of the shared browser may show up in its log; only web requests matter here
        urls = [request["url"] for request in network_requests(browser) if request["url"].startswith("http")]
        assert urls and all(url.startswith(base_url) for url in urls)
        browser.get(f"{base_url}/v1/docs")
        WebDriverWait(browser, 15).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".opblock-summary")))
        assert "/ping" in browser.find_element(By.CSS_SELECTOR, ".opblock-summary").text
