"""Redis cache of purchase-order lookups: one key per buyer, JSON rows, a TTL per entry."""

from __future__ import annotations

import json
import os
from typing import Any

import redis.asyncio as aioredis

CACHE_TTL_SECONDS = int(os.environ.get("CACHE_TTL_SECONDS", "3600"))
KEY_PREFIX = "po:buyer:"


class RedisCache:
    """``get``/``set`` of JSON values under ``po:buyer:<id>`` with hit and miss counters."""

    def __init__(self, url: str, max_connections: int = 50) -> None:
        self.client = aioredis.Redis.from_url(
            url, max_connections=max_connections, socket_timeout=3, decode_responses=True
        )
        self.hits = 0
        self.misses = 0

    async def get(self, buyer_id: int) -> Any | None:
        raw = await self.client.get(f"{KEY_PREFIX}{buyer_id}")
        if raw is None:
            self.misses += 1
            return None
        self.hits += 1
        return json.loads(raw)

    async def set(self, buyer_id: int, rows: Any) -> None:
        await self.client.set(f"{KEY_PREFIX}{buyer_id}", json.dumps(rows), ex=CACHE_TTL_SECONDS)
