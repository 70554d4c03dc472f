"""Wires the Redis cache into the application's lifespan: connect, ping, warm up, close."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

from src.infrastructure.redis_cache import RedisCache

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def redis_lifespan(app: Any) -> AsyncIterator[None]:
    """Open the cache at start-up (the app refuses to start without Redis), close it at exit."""
    cache = RedisCache(os.environ["REDIS_URL"], int(os.environ.get("REDIS_MAX_CONNECTIONS", "50")))
    await cache.client.ping()
    log.info("Redis cache initialized")
    app.state.cache = cache
    try:
        yield
    finally:
        await cache.client.aclose()
