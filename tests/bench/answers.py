"""Print every benchmark scenario's answer from one framework, as JSON: `python answers.py vivace|fastapi|raw`.

Run in a fresh interpreter by test_harness.py: the vivace run installs the `fastapi` import alias, which must
not leak into the test process. Requests go through Starlette's TestClient, not a server.
"""

import json
import sys
from pathlib import Path
from typing import Any

# NOTE: bench/ holds scripts, not a package; its modules import each other by bare name.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from scenarios import SCENARIOS, Scenario
from serve import load_app
from starlette.testclient import TestClient


def answer(client: TestClient, scenario: Scenario) -> dict[str, Any]:
    """What the load driver's check would see: the status and the decoded answer."""
    if scenario.kind == "ws":
        with client.websocket_connect(scenario.path) as websocket:
            websocket.send_text(scenario.body.decode())
            return {"status": 101, "answer": websocket.receive_text()}
    response = client.request(
        scenario.method, scenario.path, content=scenario.body or None, headers=dict(scenario.headers)
    )
    if scenario.kind == "sse":
        lines = response.text.splitlines()
        return {"status": response.status_code, "answer": [json.loads(x[5:]) for x in lines if x.startswith("data:")]}
    return {"status": response.status_code, "answer": response.json()}


def main(framework: str) -> None:
    with TestClient(load_app(framework)) as client:
        found = {s.name: answer(client, s) for s in SCENARIOS if framework in s.frameworks}
        found["me-wrong-token"] = {"status": client.get("/me", headers={"x-token": "nope"}).status_code}
        found["security-no-token"] = {"status": client.get("/secure/items").status_code}
        found["path-query-invalid"] = {"status": client.get("/items/0?limit=1000").status_code}
    print(json.dumps(found))


if __name__ == "__main__":
    main(sys.argv[1])
