"""Who a request counts against: key functions for `RateLimit(key=...)`.

The default is the address of the peer that opened the connection. Behind a reverse proxy every request
comes from the proxy, so either let the server rewrite the peer address from the proxy's headers (uvicorn's
`--proxy-headers --forwarded-allow-ips=<proxy address>`) or opt in to `forwarded_for(...)` here. Never read
`X-Forwarded-For` without a proxy you trust in front: any client can send the header and pick its own key.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

__all__ = ["UNKNOWN_CLIENT", "client_address", "forwarded_for"]

# The key of requests whose peer is unknown (a Unix socket, a test transport without one): they share a budget.
UNKNOWN_CLIENT = "unknown"


def client_address(request: Request) -> str:
    """The peer's IP address, as the server reports it (`request.client.host`)."""
    client = request.scope.get("client")
    return client[0] if client else UNKNOWN_CLIENT


def forwarded_for(trusted_proxies: int = 1) -> Callable[[Request], str]:
    """A key function reading the client address from `X-Forwarded-For`, for apps behind trusted proxies.

    Each proxy appends the address it received the request from, so with `trusted_proxies` proxies of yours in
    front, the client is the `trusted_proxies`-th address from the right; addresses further left were written
    by the client and are ignored. A request that carries fewer addresses than that did not pass through all
    of your proxies, and is keyed by its peer address instead.
    """
    if trusted_proxies < 1:
        raise ValueError(f"trusted_proxies must be at least 1, not {trusted_proxies}")

    def forwarded_client(request: Request) -> str:
        values = request.headers.getlist("x-forwarded-for")
        hops = [hop.strip() for value in values for hop in value.split(",")]
        if len(hops) < trusted_proxies or not hops[-trusted_proxies]:
            return client_address(request)
        return hops[-trusted_proxies]

    return forwarded_client
