"""Marks each purchase-order response with where it came from: ``X-Cache: HIT|MISS|BYPASS``."""

from __future__ import annotations

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response


class CacheMiddleware(BaseHTTPMiddleware):
    """Adds ``X-Cache: BYPASS`` when a handler did not say HIT or MISS."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        if request.url.path.startswith("/api/purchase-orders"):
            response.headers.setdefault("X-Cache", "BYPASS")
        return response
