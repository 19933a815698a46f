"""/docs and /redoc work in a real browser with no network beyond 127.0.0.1.

Each check runs against two servers: a stand-in (the routes from `build_docs_endpoints`, a hand-written
/openapi.json with one operation, and that operation) that isolates the docs layer, and a real vivace
application declaring the same operation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.wait import WebDriverWait
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from vivace.openapi.docs import DocsConfig, build_docs_endpoints

REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Browser check", "version": "1.0.0"},
    "paths": {
        "/items/{item_id}": {
            "get": {
                "summary": "Read Item",
                "operationId": "read_item_items__item_id__get",
                "parameters": [
                    {"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {
                        "description": "Successful Response",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "item_id": {"type": "integer"},
                                        "name": {"type": "string"},
                                    },
                                }
                            }
                        },
                    }
                },
            }
        }
    },
}


async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(OPENAPI)


async def read_item(request: Request) -> JSONResponse:
    return JSONResponse({"item_id": int(request.path_params["item_id"]), "name": "browser-checked"})


def docs_app() -> ASGIApp:
    # A second Swagger UI page on the CDN is the control: it must stay blank, proving the block works.
    cdn = DocsConfig(
        docs_url="/cdn-docs", redoc_url=None, swagger_ui_oauth2_redirect_url=None, docs_assets="cdn"
    )
    docs = [*build_docs_endpoints(DocsConfig(title="Browser check")), *build_docs_endpoints(cdn)]
    routes = [Route(e.path, e.endpoint, name=e.name) for e in docs]
    routes += [Route("/openapi.json", openapi), Route("/items/{item_id:int}", read_item)]
    return Starlette(routes=routes)


def vivace_app() -> ASGIApp:
    """The same operation declared on a real vivace application, which generates its own document."""
    from vivace import FastAPI

    app = FastAPI(title="Browser check", version="1.0.0")

    @app.get("/items/{item_id}", summary="Read Item")
    async def read_item(item_id: int) -> dict[str, Any]:
        return {"item_id": item_id, "name": "browser-checked"}

    return app


APPS = {"standin": docs_app, "vivace": vivace_app}


@pytest.fixture(scope="module", params=list(APPS))
def base_url(
    request: pytest.FixtureRequest, live_server: Callable[[ASGIApp], AbstractContextManager[str]]
) -> Iterator[str]:
    with live_server(APPS[request.param]()) as url:
        yield url


@pytest.fixture(scope="module")
def standin_url(live_server: Callable[[ASGIApp], AbstractContextManager[str]]) -> Iterator[str]:
    with live_server(docs_app()) as url:
        yield url


def wait_for(browser: webdriver.Chrome, css: str, timeout: float = 15) -> WebElement:
    element: WebElement = WebDriverWait(browser, timeout).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, css))
    )
    return element


def loaded_urls(browser: webdriver.Chrome) -> list[str]:
    urls: list[str] = browser.execute_script(
        "return [location.href, ...performance.getEntriesByType('resource').map(e => e.name)]"
    )
    return urls


def console_errors(browser: webdriver.Chrome) -> list[str]:
    log: list[dict[str, Any]] = browser.get_log("browser")  # type: ignore[no-untyped-call]  # untyped in selenium
    return [entry["message"] for entry in log if entry["level"] == "SEVERE"]


def test_swagger_ui_try_it_out(browser: webdriver.Chrome, base_url: str, tmp_path: Path) -> None:
    """Swagger UI lists the operation and "Try it out" -> "Execute" shows the live 200 response."""
    console_errors(browser)  # drop anything logged before this page
    browser.get(f"{base_url}/docs")
    summary = wait_for(browser, "#operations-default-read_item_items__item_id__get .opblock-summary")
    assert "/items/{item_id}" in summary.text
    summary.click()
    wait_for(browser, ".try-out__btn").click()
    wait_for(browser, 'input[placeholder="item_id"]').send_keys("42")
    wait_for(browser, ".btn.execute").click()
    WebDriverWait(browser, 15).until(
        ec.text_to_be_present_in_element(
            (By.CSS_SELECTOR, ".live-responses-table tr.response .response-col_status"), "200"
        )
    )
    response_cell = wait_for(browser, ".live-responses-table tr.response .response-col_description pre")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", response_cell)
    response_body = response_cell.text
    assert '"item_id": 42' in response_body
    assert "browser-checked" in response_body
    screenshot = tmp_path / "swagger-ui.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
    assert all(url.startswith(base_url) for url in loaded_urls(browser))
    assert console_errors(browser) == []


def test_redoc_renders_operation(browser: webdriver.Chrome, base_url: str, tmp_path: Path) -> None:
    """ReDoc renders the operation's summary and path from the local bundle."""
    console_errors(browser)
    browser.get(f"{base_url}/redoc")
    heading = wait_for(browser, "[data-section-id='operation/read_item_items__item_id__get'] h2")
    assert heading.text == "Read Item"
    WebDriverWait(browser, 10).until(lambda b: "/items/{item_id}" in b.find_element(By.TAG_NAME, "body").text)
    screenshot = tmp_path / "redoc.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
    # NOTE: ReDoc's sidebar always asks cdn.redoc.ly for the Redocly logo (no option turns it off); offline
    # the request fails and ReDoc drops the image, so it is the one expected outside request.
    assert {url for url in loaded_urls(browser) if not url.startswith(base_url)} <= {REDOC_LOGO}
    assert browser.find_elements(By.CSS_SELECTOR, "img[alt='redocly logo']") == []
    assert [message for message in console_errors(browser) if REDOC_LOGO not in message] == []


def test_cdn_page_stays_blank_offline(browser: webdriver.Chrome, standin_url: str) -> None:
    """Control: the CDN-loading page cannot fetch Swagger UI here, so the offline result is not luck."""
    browser.get(f"{standin_url}/cdn-docs")
    assert browser.execute_script("return typeof SwaggerUIBundle") == "undefined"
    assert browser.find_elements(By.CSS_SELECTOR, ".opblock") == []
    assert any("cdn.jsdelivr.net" in message for message in console_errors(browser))


# Stands in for the object Swagger UI leaves on itself before opening the authorization popup.
FAKE_PENDING_AUTH = """
window.calls = [];
window.swaggerUIRedirectOauth2 = {
  state: "s1",
  redirectUrl: "unused",
  auth: {name: "oauth", schema: {get: (key) => key === "flow" ? arguments[0] : undefined}},
  callback: (answer) => window.calls.push({kind: "callback", code: answer.auth.code || null,
                                           token: answer.token || null, isValid: answer.isValid}),
  errCb: (error) => window.calls.push({kind: "error", level: error.level, message: error.message}),
};
window.open(arguments[1]);
"""


@pytest.mark.parametrize(
    ("flow", "answer", "expected"),
    [
        ("authorizationCode", "?code=abc&state=s1", [{"kind": "callback", "code": "abc"}]),
        (
            "authorizationCode",
            "?code=abc&state=forged",
            [{"kind": "error", "level": "warning"}, {"kind": "callback", "code": "abc"}],
        ),
        ("authorization_code", "?error=access_denied&state=s1", [{"kind": "error", "level": "error"}]),
        (
            "implicit",
            "#access_token=t%201&token_type=bearer&state=s1",
            [{"kind": "callback", "isValid": True, "token": {"access_token": "t 1", "token_type": "bearer"}}],
        ),
    ],
)
def test_oauth2_redirect_page_reports_to_swagger_ui(
    browser: webdriver.Chrome, base_url: str, flow: str, answer: str, expected: list[dict[str, Any]]
) -> None:
    """The redirect popup hands the code, token or error back to the opener's pending authorization."""
    browser.get(f"{base_url}/docs")
    browser.execute_script(FAKE_PENDING_AUTH, flow, f"{base_url}/docs/oauth2-redirect{answer}")
    WebDriverWait(browser, 10).until(lambda b: len(b.execute_script("return window.calls")) == len(expected))
    calls: list[dict[str, Any]] = browser.execute_script("return window.calls")
    for call, want in zip(calls, expected, strict=True):
        assert {key: call[key] for key in want if key != "token"} == {
            k: v for k, v in want.items() if k != "token"
        }
        if "token" in want:
            assert want["token"].items() <= call["token"].items()
    if expected[-1]["kind"] == "error":
        assert "[access_denied]" in calls[-1]["message"]
    WebDriverWait(browser, 10).until(lambda b: len(b.window_handles) == 1)  # the popup closed itself
