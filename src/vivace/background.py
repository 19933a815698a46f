"""Background tasks: functions to run after the response has been sent."""

from typing import ParamSpec

from starlette.background import BackgroundTasks as StarletteBackgroundTasks

P = ParamSpec("P")  # kept under FastAPI's name for code that types wrappers of add_task()


class BackgroundTasks(StarletteBackgroundTasks):
    """Collects functions (`def` or `async def`) to run, in order, once the response is sent.

    Declare a parameter of this type on an endpoint or dependency and call `add_task()`;
    every parameter of one request receives the same instance.
    """
