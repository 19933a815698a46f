"""How a task is retried and how long one attempt may take: fixed when the task is declared."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["RetryPolicy"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`retries` more attempts after the first, waiting `backoff * 2**(n-1)` seconds (capped by `max_backoff`,
    with up to `jitter` of it added at random) before retry n; `retry_on` lists the exceptions worth retrying."""

    retries: int = 0
    backoff: float = 1.0
    max_backoff: float = 300.0
    jitter: float = 0.0  # a fraction of the delay: 0.1 adds up to 10 %
    retry_on: tuple[type[BaseException], ...] = (Exception,)
    time_limit: float | None = None  # seconds per attempt

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ValueError(f"retries must be 0 or more, not {self.retries}")
        if self.backoff < 0 or self.max_backoff < 0 or not 0 <= self.jitter <= 1:
            raise ValueError("backoff and max_backoff must be 0 or more, and jitter between 0 and 1")
        if self.time_limit is not None and self.time_limit <= 0:
            raise ValueError(f"time_limit must be a positive number of seconds, not {self.time_limit}")

    @property
    def max_attempts(self) -> int:
        return self.retries + 1

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1 for the first) before the next one."""
        base = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        # NOTE: random spreads the retries of tasks that failed together; nothing here needs to be unpredictable
        return base + base * self.jitter * random.random()

    def should_retry(self, error: BaseException, attempt: int) -> bool:
        return attempt < self.max_attempts and isinstance(error, self.retry_on)
