"""Servers that hang: one accepts and never says a word, one drips a byte per second.

The silent server is used by the fault tests of every service (PostgreSQL, Redis, HTTP, Docker)
and by the fail-fast benchmark, which also counts how many connections it saw. The drip server
answers every connection with a prefix and then one byte per second, so a client's per-read
timeout never fires; only an overall deadline ends the wait (tests/faults/test_hangs.py).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
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


#: A drip server stops dripping after this many seconds, so no test can hang forever on it.
DRIP_LIFETIME_S = 120.0
#: An HTTP status line and an unfinished header: the client waits for the end of the headers.
DRIP_HTTP_HEADERS = b"HTTP/1.1 200 OK\r\nX-Drip: "
#: Complete HTTP headers announcing a body that then arrives one byte per second.
DRIP_HTTP_BODY = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n"
#: The start of a Redis simple-string reply that never ends.
DRIP_RESP = b"+"


@contextlib.contextmanager
def drip_server(
    prefix: bytes = DRIP_HTTP_HEADERS, *, family: int = socket.AF_INET, path: str | None = None
) -> Iterator[SilentServer]:
    """Accept every connection, send ``prefix`` at once, then ``a`` once a second.

    Each connection drips for at most :data:`DRIP_LIFETIME_S` seconds. With ``family=AF_UNIX``
    the server listens on the socket file ``path`` (``port`` is 0).

    Example::

        with drip_server(DRIP_HTTP_BODY) as drip:
            Api(f"http://127.0.0.1:{drip.port}", timeout=3).get("/")  # TargetTimeout after 3 s
    """
    if family == socket.AF_UNIX:
        assert path is not None
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(64)
        port = 0
    else:
        listener = socket.create_server((HOST, 0), backlog=64)
        port = int(listener.getsockname()[1])
    listener.settimeout(0.1)
    server = SilentServer(port=port)
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def drip(conn: socket.socket) -> None:
        ends = time.monotonic() + DRIP_LIFETIME_S
        with contextlib.suppress(OSError):
            conn.sendall(prefix)
            while not stop.wait(1.0) and time.monotonic() < ends:
                conn.sendall(b"a")

    def accept_forever() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server.accepted.append(conn)
            thread = threading.Thread(target=drip, args=(conn,), name="drip", daemon=True)
            threads.append(thread)
            thread.start()

    acceptor = threading.Thread(target=accept_forever, name="drip-server", daemon=True)
    acceptor.start()
    try:
        yield server
    finally:
        stop.set()
        acceptor.join(timeout=5)
        for thread in threads:
            thread.join(timeout=5)
        for conn in server.accepted:
            conn.close()
        listener.close()
        if path is not None:
            with contextlib.suppress(OSError):
                os.unlink(path)


DripFactory = Callable[[bytes], int]


@pytest.fixture
def drip_port() -> Iterator[DripFactory]:
    """Start drip servers: ``drip_port(prefix)`` returns the port of a new one.

    Example::

        def test_hang(drip_port: DripFactory) -> None:
            port = drip_port(DRIP_HTTP_HEADERS)
    """
    with contextlib.ExitStack() as stack:

        def start(prefix: bytes) -> int:
            return stack.enter_context(drip_server(prefix)).port

        yield start
