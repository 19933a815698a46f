"""Print the realistic application's answers from one framework, as JSON: `python realistic_answers.py vivace`.

Run in a fresh interpreter by test_suites.py (the vivace run installs the `fastapi` import alias, which must
not leak into the test process). Requests go through Starlette's TestClient, lifespan included.
"""

import json
import sys
from pathlib import Path

# NOTE: bench/ holds scripts, not a package; its modules import each other by bare name.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from realistic import AUTH, REALISTIC
from serve import load_app
from starlette.testclient import TestClient


def main(framework: str) -> None:
    with TestClient(load_app(framework, "realistic")) as client:
        found = {}
        for s in REALISTIC:
            response = client.request(s.method, s.path, content=s.body or None, headers=dict(s.headers))
            found[s.name] = {"status": response.status_code, "answer": response.json()}
        bad_token = client.get("/users/me", headers={"authorization": "Bearer nope"})
        found["me-bad-token"] = {"status": bad_token.status_code}
        found["me-no-token"] = {"status": client.get("/users/me").status_code}
        found["list-bad-limit"] = {"status": client.get("/articles?limit=1000").status_code}
        found["detail-missing"] = {"status": client.get("/articles/9999").status_code}
        bad_body = client.post("/articles", json={"title": ""}, headers=dict([AUTH]))
        found["create-bad-body"] = {"status": bad_body.status_code}
    print(json.dumps(found))


if __name__ == "__main__":
    main(sys.argv[1])
