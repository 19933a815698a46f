# Mistakes that are reported when the route is declared, not when a request arrives.
from typing import Annotated

from vivace import Depends, FastAPI, Header


def current_user(authorization: Annotated[str, Header()]) -> str:
    return authorization.removeprefix("Bearer ")


def user_preferences(user: Annotated[str, Depends(current_user)]) -> dict[str, str]:
    return {"user": user, "theme": "dark"}


def build_app() -> FastAPI:
    app = FastAPI()

    # Raises DependencyScopeError: one shared value cannot depend on who is asking.
    @app.get("/preferences")
    async def preferences(
        prefs: Annotated[dict[str, str], Depends(user_preferences, scope="app")],
    ) -> dict[str, str]:
        return prefs

    return app
