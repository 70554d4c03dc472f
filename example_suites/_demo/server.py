"""Serve an ASGI app with uvicorn over HTTP and, optionally, HTTPS from the same process.

One app, one state: the HTTP server runs the lifespan and handles the signals; the HTTPS
listener shares the app and stops with it.

Example::

    asyncio.run(serve(app, "127.0.0.1", 8000, tls=(8443, "chain.pem", "key.pem")))
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import uvicorn

__all__ = ["serve"]


class _Listener(uvicorn.Server):
    """A second listener: no signal handlers of its own (the HTTP server has them)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(app: Any, host: str, port: int, *, tls: tuple[int, str, str] | None) -> None:
    """Serve ``app`` on ``host:port``; with ``tls=(port, chain, key)`` over HTTPS too.

    Exits with status 3 (as ``uvicorn.run``) when the app or a listener did not start.
    """
    common: dict[str, Any] = {"log_config": None, "access_log": False}
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, lifespan="on", **common))
    listener: _Listener | None = None
    task: asyncio.Task[None] | None = None
    if tls is not None:
        tls_port, chain, key = tls
        listener = _Listener(
            uvicorn.Config(
                app, host=host, port=tls_port, lifespan="off", ssl_certfile=chain,
                ssl_keyfile=key, **common,
            )
        )  # fmt: skip
        task = asyncio.create_task(listener.serve())
    try:
        await server.serve()
    finally:
        if listener is not None and task is not None:
            listener.should_exit = True
            await task
    if not server.started:
        raise SystemExit(3)
