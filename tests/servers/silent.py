"""A TCP server that accepts connections and never says a word: the "server that hangs" fault.

Used by the fault tests of every service (PostgreSQL, Redis, HTTP) and by the fail-fast
benchmark, which also counts how many connections it saw.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

HOST = "127.0.0.1"


@dataclass
class SilentServer:
    """Where the silent server listens, and how many connections it has accepted so far."""

    port: int
    accepted: list[socket.socket] = field(default_factory=list)

    @property
    def connections(self) -> int:
        return len(self.accepted)


@contextlib.contextmanager
def silent_server() -> Iterator[SilentServer]:
    """Accept every connection on a free 127.0.0.1 port, hold it, never answer.

    Example::

        with silent_server() as silent:
            Database(f"postgresql://u@127.0.0.1:{silent.port}/db", connect_timeout=1)
    """
    listener = socket.create_server((HOST, 0), backlog=64)
    listener.settimeout(0.1)
    server = SilentServer(port=int(listener.getsockname()[1]))
    stop = threading.Event()

    def accept_forever() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server.accepted.append(conn)

    thread = threading.Thread(target=accept_forever, name="silent-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in server.accepted:
            conn.close()
        listener.close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never sends a byte.

    Example::

        def test_hang(silent_port: int) -> None:
            RedisTarget(f"redis://127.0.0.1:{silent_port}/0", connect_timeout=1).ping_ms()
    """
    with silent_server() as server:
        yield server.port
