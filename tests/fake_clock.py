"""A clock tests move by hand, passed where a backend takes a `clock` callable, so expiry and refills need no
sleeping."""

from __future__ import annotations


class FakeClock:
    """Returns `now` (seconds, starting at 1000) until `advance` moves it forward."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
