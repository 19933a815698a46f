"""The example app's /docs and /redoc in a real headless Chromium, served by a real uvicorn, fully offline.

The app (`examples.app:app`, what `make run` serves) runs in a child uvicorn process with its lifespan, on a
free port of 127.0.0.1; the browser can reach nothing else (see conftest.py). The checks read the app's own
/openapi.json to know which operations the pages must show, so they hold while the example app evolves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.wait import WebDriverWait

Requests = Callable[[webdriver.Chrome], list[dict[str, Any]]]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# NOTE: ReDoc's sidebar always asks for Redocly's logo (no option turns it off); offline it is blocked and
# ReDoc leaves the image out. It is the only request to another host the pages may even attempt.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture(scope="module")
def example_url(
    tmp_path_factory: pytest.TempPathFactory, process_server: Callable[..., AbstractContextManager[str]]
) -> Iterator[str]:
    """The example app under uvicorn, with its database and working files in a fresh directory."""
    workdir = tmp_path_factory.mktemp("example-app")
    env = {"VIVACE_EXAMPLE_DB": str(workdir / "example.db")}
    with process_server("examples.app:app", cwd=workdir, env=env) as url:
        yield url


@pytest.fixture(scope="module")
def document(example_url: str) -> dict[str, Any]:
    with urlopen(f"{example_url}/openapi.json", timeout=10) as response:
        loaded: dict[str, Any] = json.load(response)
        return loaded


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) for every operation in the document."""
    return [
        (path, method, item[method]) for path, item in document["paths"].items() for method in METHODS
        if method in item
    ]


def open_get(document: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A GET operation anyone may call: no security, no required parameter, no body (e.g. /health)."""
    for path, method, operation in operations(document):
        required = [p for p in operation.get("parameters", []) if p.get("required")]
        if method == "get" and not operation.get("security") and not required and "requestBody" not in operation:
            return path, operation
    raise AssertionError("the example app has no GET operation callable without a token")


def swagger_block_id(operation: dict[str, Any]) -> str:
    """The element id Swagger UI gives an operation's block (under its first tag, or "default")."""
    tag = (operation.get("tags") or ["default"])[0]
    return f"operations-{tag}-{operation['operationId']}".replace(" ", "_")


def wait_for(browser: webdriver.Chrome, css: str, timeout: float = 20) -> WebElement:
    element: WebElement = WebDriverWait(browser, timeout).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, css))
    )
    return element


def assert_nothing_left_localhost(requests: list[dict[str, Any]], base_url: str, allowed: set[str]) -> None:
    """Every answered request went to the app; others were only attempted (and blocked) if explicitly allowed."""
    local_host = urlsplit(base_url).netloc
    outside = [r for r in requests if urlsplit(r["url"]).scheme in ("http", "https")
               and urlsplit(r["url"]).netloc != local_host]
    assert [r["url"] for r in outside if r["answered"]] == [], "a request to another host got an answer"
    assert {r["url"] for r in outside} <= allowed
    assert any(r["url"].startswith(base_url) for r in requests), "the performance log saw no request at all"


def console_errors(browser: webdriver.Chrome) -> list[str]:
    log: list[dict[str, Any]] = browser.get_log("browser")  # type: ignore[no-untyped-call]  # untyped in selenium
    return [entry["message"] for entry in log if entry["level"] == "SEVERE"]


def test_swagger_ui_lists_operations_and_runs_a_get(
    browser: webdriver.Chrome, example_url: str, document: dict[str, Any], network_requests: Requests,
    tmp_path: Path,
) -> None:
    """/docs lists every operation of the example app and "Try it out" -> "Execute" shows a live 200."""
    network_requests(browser), console_errors(browser)  # drop whatever earlier tests left in the logs
    browser.get(f"{example_url}/docs")
    path, operation = open_get(document)
    block = f'[id="{swagger_block_id(operation)}"]'
    summary = wait_for(browser, f"{block} .opblock-summary")
    shown = {element.get_attribute("id") for element in browser.find_elements(By.CSS_SELECTOR, ".opblock")}
    assert {swagger_block_id(op) for _, _, op in operations(document)} <= shown
    assert path in summary.text
    browser.save_screenshot(str(tmp_path / "swagger-ui-list.png"))
    summary.click()
    wait_for(browser, f"{block} .try-out__btn").click()
    wait_for(browser, f"{block} .btn.execute").click()
    live = f"{block} .live-responses-table tr.response"
    WebDriverWait(browser, 20).until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, f"{live} .response-col_status"), "200")
    )
    body = wait_for(browser, f"{live} .response-col_description pre")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", body)
    with urlopen(f"{example_url}{path}", timeout=10) as response:
        assert json.loads(body.text) == json.load(response)
    screenshot = tmp_path / "swagger-ui-executed.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
    assert_nothing_left_localhost(network_requests(browser), example_url, allowed=set())
    assert console_errors(browser) == []


def test_redoc_renders_operations(
    browser: webdriver.Chrome, example_url: str, document: dict[str, Any], network_requests: Requests,
    tmp_path: Path,
) -> None:
    """/redoc renders the API title and every operation's summary from the bundled ReDoc."""
    network_requests(browser), console_errors(browser)
    browser.get(f"{example_url}/redoc")
    wait_for(browser, "h1")
    _, operation = open_get(document)
    heading = wait_for(browser, f"[data-section-id='operation/{operation['operationId']}'] h2")
    assert heading.text == operation["summary"]
    body = browser.find_element(By.TAG_NAME, "body").text
    assert document["info"]["title"] in body
    missing = [op["summary"] for _, _, op in operations(document) if op["summary"] not in body]
    assert missing == []
    screenshot = tmp_path / "redoc.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
    assert_nothing_left_localhost(network_requests(browser), example_url, allowed={REDOC_LOGO})
    assert [message for message in console_errors(browser) if REDOC_LOGO not in message] == []
