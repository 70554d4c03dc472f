"""Overall deadlines for network operations: one budget per operation, for every service client.

A driver's own timeouts bound each *read*: a server that accepts and then sends one byte per
second never trips them. A :class:`Deadline` bounds the whole operation (connect, send, every
read) and turns its expiry into one line, :class:`~pytest_deployready.errors.TargetTimeout`
``<what> at <where>: <operation> timed out after N s``. Every client (``db``, ``redis``,
``api``, ``metrics``, ``compose``) runs each network operation inside :meth:`Deadline.watch`:

* clients whose reads can be capped look up the running deadline with :func:`current` and
  never wait longer than :meth:`Deadline.remaining` (the HTTP client does, per read);
* clients that cannot be capped pass an ``abort`` callback (shut the socket down), which one
  shared watchdog thread calls when the deadline passes; the blocked read then returns and
  the operation ends with the timeout error;
* a client with neither (the Docker SDK hides its sockets) uses :meth:`Deadline.call`, which
  runs the operation on a daemon thread and stops waiting at the deadline.

Example::

    deadline = Deadline(3.0, "Redis at cache:6379", "command GET")
    with deadline.watch(abort=connection.disconnect):
        reply = connection.read_response()
    # -> TargetTimeout("Redis at cache:6379: command GET timed out after 3 s") on expiry
"""

from __future__ import annotations

import contextlib
import contextvars
import heapq
import itertools
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from pytest_deployready.errors import TargetTimeout

__all__ = ["Deadline", "current", "fmt_seconds", "shutdown_socket"]

T = TypeVar("T")

_CURRENT: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "deployready_deadline", default=None
)


def fmt_seconds(seconds: float) -> str:
    """Seconds as messages show them: ``fmt_seconds(3.0)  # '3'``, ``fmt_seconds(0.5)  # '0.5'``."""
    return f"{seconds:g}"


def current() -> Deadline | None:
    """The deadline of the operation running in this context, or ``None``.

    Example::

        deadline = current()
        timeout = deadline.cap(timeout) if deadline is not None else timeout
    """
    return _CURRENT.get()


def shutdown_socket(fd: int) -> None:
    """Shut a socket down by file descriptor, waking any thread blocked reading it.

    ``close()`` does not wake a blocked ``recv`` on Linux; ``shutdown`` does. The descriptor
    stays open (its owner closes it). Errors (already closed, not a socket) are ignored.

    Example::

        shutdown_socket(conn.pgconn.socket)
    """
    with contextlib.suppress(OSError, ValueError):
        dup = socket.socket(fileno=os.dup(fd))
        try:
            dup.shutdown(socket.SHUT_RDWR)
        finally:
            dup.close()


class Deadline:
    """The overall time budget of one network operation, and the error when it is spent.

    ``target`` names what and where (``"API at 127.0.0.1:8000"``), ``operation`` what was
    being done (``"GET /health"``). The clock starts when the deadline is created.

    Example::

        deadline = Deadline(10.0, "API at api.internal:443", "GET /health")
        deadline.remaining()  # 9.99...
        raise deadline.error()  # API at api.internal:443: GET /health timed out after 10 s
    """

    __slots__ = ("_fired", "expires_at", "operation", "seconds", "target")

    def __init__(self, seconds: float, target: str, operation: str) -> None:
        if not seconds > 0 or math.isinf(seconds):
            raise ValueError(f"a deadline needs a positive, finite number of seconds: {seconds}")
        self.seconds = float(seconds)
        self.target = target
        self.operation = operation
        self.expires_at = time.monotonic() + self.seconds
        self._fired = False

    def __repr__(self) -> str:
        return f"Deadline({self.seconds:g}, {self.target!r}, {self.operation!r})"

    @property
    def message(self) -> str:
        """The one-line timeout message."""
        return f"{self.target}: {self.operation} timed out after {fmt_seconds(self.seconds)} s"

    def remaining(self) -> float:
        """Seconds left (0.0 once expired)."""
        return max(0.0, self.expires_at - time.monotonic())

    @property
    def expired(self) -> bool:
        """True once the budget is spent (or the watchdog aborted the operation)."""
        return self._fired or time.monotonic() >= self.expires_at

    def cap(self, timeout: float | None) -> float:
        """``timeout`` (``None`` = no limit) lowered to the time left; 0.0 once expired.

        Example: ``sock.settimeout(deadline.cap(read_timeout))``
        """
        left = self.remaining()
        return left if timeout is None else min(float(timeout), left)

    def error(self) -> TargetTimeout:
        """The :class:`TargetTimeout` to raise when the budget is spent."""
        return TargetTimeout(self.message)

    @contextlib.contextmanager
    def watch(self, abort: Callable[[], object] | None = None) -> Iterator[Deadline]:
        """Run the block as this deadline's operation; raise :class:`TargetTimeout` on expiry.

        The deadline is :func:`current` inside the block. With ``abort``, the shared watchdog
        thread calls it once when the deadline passes (it must make the blocked call return,
        e.g. by shutting the socket down); the block then ends with the timeout error even if
        it returned. Whatever the block raises after the deadline passed (the driver's own
        timeout, a closed socket) becomes the timeout error; earlier errors propagate as they
        are.

        Example::

            with Deadline(5, "PostgreSQL at db:5432", "query").watch(abort=kill_socket):
                cursor.execute(sql)
        """
        token = _CURRENT.set(self)
        entry = _WATCHDOG.add(self, abort) if abort is not None else None
        try:
            yield self
        except BaseException as exc:
            if self.expired and isinstance(exc, Exception):
                raise self.error() from None
            raise
        finally:
            if entry is not None:
                _WATCHDOG.cancel(entry)
            _CURRENT.reset(token)
        if self._fired:
            raise self.error()

    def call(self, fn: Callable[[], T], abort: Callable[[], object] | None = None) -> T:
        """Run ``fn`` on a daemon thread and return its result, or raise at the deadline.

        For clients whose sockets cannot be reached to abort a read. At the deadline,
        ``abort`` (if given) is called to release what the abandoned thread holds, and the
        caller gets :class:`TargetTimeout` at once; the thread ends when its driver gives up.
        ``fn`` runs in a copy of the caller's context (so :func:`current` and retry state hold).

        Example::

            version = Deadline(5, "Docker engine at unix:///run/docker.sock", "version").call(
                client.version, abort=client.close
            )
        """
        context = contextvars.copy_context()
        done = threading.Event()
        outcome: list[T] = []
        failure: list[BaseException] = []

        def run() -> None:
            def inner() -> None:
                token = _CURRENT.set(self)
                try:
                    outcome.append(fn())
                except BaseException as exc:  # handed to the caller
                    failure.append(exc)
                finally:
                    _CURRENT.reset(token)
                    done.set()

            context.run(inner)

        thread = threading.Thread(target=run, name="deployready-deadline-call", daemon=True)
        thread.start()
        if not done.wait(self.remaining()):
            self._fired = True
            if abort is not None:
                with contextlib.suppress(Exception):
                    abort()
            raise self.error()
        if failure:
            exc = failure[0]
            if self.expired and isinstance(exc, Exception):
                raise self.error() from None
            raise exc
        return outcome[0]


class _Entry:
    __slots__ = ("abort", "cancelled", "deadline")

    def __init__(self, deadline: Deadline, abort: Callable[[], object]) -> None:
        self.deadline = deadline
        self.abort = abort
        self.cancelled = False


class _Watchdog:
    """One daemon thread that calls the ``abort`` of every watched deadline that passes."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Entry]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def add(self, deadline: Deadline, abort: Callable[[], object]) -> _Entry:
        entry = _Entry(deadline, abort)
        with self._cond:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._heap = []
                self._thread = threading.Thread(
                    target=self._run, name="deployready-watchdog", daemon=True
                )
                self._thread.start()
            heapq.heappush(self._heap, (deadline.expires_at, next(self._seq), entry))
            self._cond.notify()
        return entry

    def cancel(self, entry: _Entry) -> None:
        with self._cond:
            entry.cancelled = True

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                _, _, entry = heapq.heappop(self._heap)
                entry.deadline._fired = True
            with contextlib.suppress(Exception):
                entry.abort()


_WATCHDOG = _Watchdog()
