"""What every service client shares: failure memory, overall deadlines and the retry hook.

A target that cannot be reached fails its first check in one line and *remembers* that
failure, so fifty checks on a dead database cost one connection attempt: every later call
raises the remembered error again at once. :func:`~pytest_deployready.retry.eventually` is
the one exception: while it runs (:func:`retrying` is true) remembered failures are tried
again, so a check can wait for a target to come up. Each network operation has an overall
:class:`~pytest_deployready._deadlines.Deadline` named after the target.

The clients (``db``, ``redis``, ``api``/``metrics``, ``compose``) derive from :class:`Target`;
``tls`` and ``host`` keep a :class:`FailureMemory` of their own. :func:`exception_chain` is
the one walker over an error's causes that they use to say *why* something failed.

Example::

    class Cache(Target):
        @property
        def _label(self) -> str:
            return "Cache at cache.internal:11211"

        def get(self, key: str) -> bytes:
            self._failures.check()  # the remembered failure, at once (unless retrying)
            with self._deadline(5.0, f"get {key}").watch(abort=self._sock_shutdown):
                ...
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import threading
from collections.abc import Hashable, Iterator

from pytest_deployready._deadlines import Deadline
from pytest_deployready.errors import DeployReadyError

__all__ = ["FailureMemory", "Target", "exception_chain", "retry_attempt", "retrying"]

# Set while eventually() runs an attempt: remembered failures are retried, not re-raised.
_RETRYING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "deployready_retrying", default=False
)
# Links followed beyond __cause__/__context__: urllib3's MaxRetryError.reason, and errors
# passed as arguments (requests' ConnectionError wraps urllib3's this way).
_MAX_CHAIN = 20


def retrying() -> bool:
    """True while :func:`~pytest_deployready.retry.eventually` runs an attempt of a check.

    Every :class:`FailureMemory` then lets the call try again instead of re-raising what it
    remembered, so ``eventually`` waits for a target to come up.

    Example::

        assert not retrying()
        assert eventually(retrying, timeout=0) is True
    """
    return _RETRYING.get()


@contextlib.contextmanager
def retry_attempt() -> Iterator[None]:
    """Run the block as one attempt of ``eventually``: :func:`retrying` is true inside it.

    Example::

        with retry_attempt():
            db.scalar("SELECT 1")  # connects again even after a remembered failure
    """
    token = _RETRYING.set(True)
    try:
        yield
    finally:
        _RETRYING.reset(token)


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, then what caused it, breadth first: ``__cause__``, ``__context__``, a
    ``reason`` attribute (urllib3) and exceptions passed as arguments; each once, at most 20.

    Example::

        refused = any(isinstance(e, ConnectionRefusedError) for e in exception_chain(exc))
    """
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(seen) < _MAX_CHAIN:
        current = todo.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        yield current
        for linked in (current.__cause__, current.__context__, getattr(current, "reason", None)):
            if isinstance(linked, BaseException):
                todo.append(linked)
        todo.extend(a for a in current.args if isinstance(a, BaseException))


class FailureMemory:
    """Why a target (or one of its endpoints, by ``key``) could not be reached, remembered.

    :meth:`check` raises a remembered error again — a fresh copy each time, without the first
    one's traceback — unless :func:`retrying`; :meth:`remember` stores one, :meth:`forget`
    drops it after a success. Thread-safe (the HTTP sampler's workers share one).

    Example::

        memory = FailureMemory()
        memory.remember(TargetUnreachable("cannot reach Redis at cache:6379: refused"))
        memory.check()  # raises TargetUnreachable("cannot reach Redis at cache:6379: refused")
    """

    __slots__ = ("_errors", "_lock")

    def __init__(self) -> None:
        self._errors: dict[Hashable, DeployReadyError] = {}
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self._errors)

    def get(self, key: Hashable = None) -> DeployReadyError | None:
        """The remembered error for ``key``, or ``None``."""
        with self._lock:
            return self._errors.get(key)

    def check(self, key: Hashable = None) -> None:
        """Raise the error remembered for ``key`` again, unless ``eventually`` is retrying."""
        __tracebackhide__ = True
        if not self._errors or retrying():
            return
        error = self.get(key)
        if error is not None:
            raise copy.copy(error) from None

    def remember(self, error: DeployReadyError, key: Hashable = None) -> DeployReadyError:
        """Remember ``error`` for ``key`` and return it (``raise memory.remember(err)``)."""
        with self._lock:
            self._errors[key] = error
        return error

    def forget(self, key: Hashable = None) -> None:
        """Drop what was remembered for ``key`` (the target answered)."""
        if self._errors:
            with self._lock:
                self._errors.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._errors.clear()


class Target:
    """The base of the service clients: connection attempts, failure memory, deadlines.

    A subclass names itself for messages with ``_label`` (``"Redis at cache:6379"``), raises
    ``self._failures.check()`` before connecting, remembers a failed connect with
    ``self._failures.remember(error)``, and runs each network operation inside
    ``self._deadline(seconds, operation).watch(...)`` (or ``.call(...)``).

    Example::

        class Cache(Target):
            @property
            def _label(self) -> str:
                return "Cache at cache.internal:11211"

        Cache()._deadline(5.0, "connect").message  # 'Cache at ...: connect timed out after 5 s'
    """

    def __init__(self) -> None:
        #: How many times a connection was attempted, over the target's lifetime.
        self.connect_attempts = 0
        self._failures = FailureMemory()

    @property
    def _label(self) -> str:
        """What and where, for messages: ``"PostgreSQL at db.internal:5432"``."""
        raise NotImplementedError

    def _deadline(self, seconds: float, operation: str) -> Deadline:
        """The overall deadline of one operation on this target.

        Example: ``self._deadline(5.0, "connect")  # "Redis at cache:6379: connect timed out
        after 5 s" on expiry``
        """
        return Deadline(seconds, self._label, operation)
