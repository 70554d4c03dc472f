"""``eventually``: retry a check until it holds, for targets that are still coming up.

Example::

    from pytest_deployready import eventually

    @pytest.mark.phase("deploy")
    def test_new_version_live(api):
        eventually(lambda: api.health().ok, timeout=120, interval=5, message="API healthy")
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TypeVar

from pytest_deployready._deadlines import fmt_seconds
from pytest_deployready._target import retry_attempt
from pytest_deployready.errors import TargetUnreachable

__all__ = ["eventually"]

T = TypeVar("T")


def _retryable() -> tuple[type[BaseException], ...]:
    """Errors that mean "not yet": a failed assertion, an unreachable target, a refused socket.

    ``httpx.TransportError`` too, when httpx is loaded (it cannot be raised before).
    """
    errors: tuple[type[BaseException], ...] = (AssertionError, TargetUnreachable, ConnectionError)
    httpx = sys.modules.get("httpx")
    if httpx is not None:
        errors += (httpx.TransportError,)
    return errors


def eventually(
    fn: Callable[[], T],
    *,
    timeout: float = 30.0,
    interval: float = 1.0,
    message: str | None = None,
) -> T:
    """Call ``fn`` until it succeeds or ``timeout`` seconds have passed; return its result.

    An attempt succeeds when ``fn`` returns without raising and its result is truthy or
    ``None`` (so assertion-style functions work; return ``False``/``0``/empty to try again).
    It is retried when it returns another falsy value or raises ``AssertionError``,
    :class:`~pytest_deployready.errors.TargetUnreachable`, ``httpx.TransportError`` or
    ``ConnectionError``; any other exception propagates at once. Attempts are ``interval``
    seconds apart; the last one runs at the deadline. Inside ``fn``, every service fixture
    (``api``, ``db``, ``redis``, ``compose``, ``metrics``, ``tls``, ``host``) tries again
    instead of re-raising a remembered failure, and a success clears the memory.

    On timeout it raises ``TargetUnreachable`` when the last attempt could not reach its target
    (the check errors), otherwise ``AssertionError`` (the check fails), with ``message``, the
    number of attempts and the last error or result.

    Example::

        eventually(lambda: api.health().ok, timeout=60, message="API healthy after rollout")
    """
    if timeout < 0:
        raise ValueError(f"timeout must be >= 0, got {timeout}")
    if interval <= 0:
        raise ValueError(f"interval must be positive, got {interval}")
    deadline = time.monotonic() + timeout
    attempts = 0
    last_error: BaseException | None = None
    last_result: object = None
    while True:
        attempts += 1
        try:
            with retry_attempt():
                result = fn()
        except _retryable() as exc:
            last_error = exc
        else:
            if result is None or result:
                return result
            last_error, last_result = None, result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        time.sleep(min(interval, remaining))

    name = getattr(fn, "__name__", "<lambda>")
    what = message or ("condition" if name == "<lambda>" else name)
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    summary = f"{what}: not satisfied within {fmt_seconds(timeout)} s ({tries})"
    if isinstance(last_error, TargetUnreachable):
        raise TargetUnreachable(f"{last_error} ({summary})") from None
    if last_error is not None:
        detail = str(last_error).strip().splitlines()
        last = detail[0] if detail else type(last_error).__name__
        raise AssertionError(f"{summary}; last error: {last}") from None
    raise AssertionError(f"{summary}; last result: {last_result!r}")
