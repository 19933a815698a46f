"""A single-page app next to its API (docs/guide/frontend.md)."""

from vivace import FastAPI

app = FastAPI()


@app.get("/api/profile")
async def read_profile() -> dict[str, str]:
    return {"name": "Ada"}


# dist/ is the output of the frontend's build (`npm run build`, say): index.html, assets/...
# API routes are matched first, whatever the order of declaration; unknown paths that a browser
# navigates to get index.html, so the frontend's own router can show /settings or /users/42.
app.frontend("/", directory="dist", fallback="index.html")
