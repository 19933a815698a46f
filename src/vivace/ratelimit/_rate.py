"""A rate as people write it ("10/minute", "100 per 5 minutes") and the numbers the algorithm runs on.

The algorithm (GCRA, see `_memory.py`) spends a fixed *interval* per request and allows a *capacity* of
debt: with `limit` requests per `period` seconds and a burst of `burst` requests, the interval is
`period / limit` and the capacity `burst * interval`. Both are whole microseconds, so the memory backend
and the Redis script compute exactly the same answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MICROSECONDS", "Rate", "parse_rate"]

MICROSECONDS = 1_000_000

_UNITS = {
    "s": 1, "sec": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
}  # fmt: skip

_RATE = re.compile(r"^\s*(?P<limit>\d+)\s*(?:/|per\s)\s*(?P<count>\d+)?\s*(?P<unit>[a-z]+)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Rate:
    """`limit` requests per `period` seconds, at most `burst` of them at once."""

    limit: int
    period: int
    burst: int

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError(f"a rate limit must allow at least one request, not {self.limit}")
        if self.period < 1:
            raise ValueError(f"a rate period is a whole number of seconds >= 1, not {self.period}")
        if self.burst < 1:
            raise ValueError(f"a burst must allow at least one request, not {self.burst}")
        if self.limit > self.period * MICROSECONDS:
            raise ValueError(f"{self.limit} requests per {self.period} s is more than one per microsecond")

    @property
    def interval(self) -> int:
        """Microseconds of budget one request uses up (the time the budget takes to earn it back)."""
        return self.period * MICROSECONDS // self.limit

    @property
    def capacity(self) -> int:
        """Microseconds of budget that may be owed at once: `burst` requests' worth."""
        return self.interval * self.burst

    def __str__(self) -> str:
        text = f"{self.limit} per {_period_text(self.period)}"
        return text if self.burst == self.limit else f"{text} (bursts of {self.burst})"


def _period_text(seconds: int) -> str:
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            count = seconds // size
            return name if count == 1 else f"{count} {name}s"
    raise AssertionError("unreachable: every whole number of seconds is a count of seconds")


def parse_rate(text: str) -> tuple[int, int]:
    """`(limit, period in seconds)` of "10/minute", "10 per minute", "100/5 minutes", "5/30s"."""
    found = _RATE.match(text)
    unit = _UNITS.get(found["unit"].lower()) if found else None
    if found is None or unit is None:
        raise ValueError(
            f"cannot read the rate {text!r}: write it as '<requests>/<period>', for example '10/minute', "
            "'100/5 minutes' or '5/30s' (units: second, minute, hour, day)"
        )
    count = int(found["count"]) if found["count"] else 1
    return int(found["limit"]), count * unit
