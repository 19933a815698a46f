# A service ready to deploy: a health check for the load balancer, and links that include the proxy's prefix.
from vivace import FastAPI, Request

app = FastAPI(title="Notes")


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/notes/{note_id}", name="read_note")
async def read_note(note_id: int, request: Request) -> dict[str, str | int]:
    return {"id": note_id, "url": str(request.url_for("read_note", note_id=note_id))}
