"""SIGTERM and SIGHUP end a deployment run as SIGINT does; outputs are renamed with them deferred.

CI runners cancel a job with SIGTERM (a closed terminal sends SIGHUP). By default either one
kills pytest before it writes anything, and the previous run's record stays in place. In a
deployment run :class:`RunSignals` turns both (and SIGINT) into ``KeyboardInterrupt`` in the
main thread, so pytest ends with exit code 2 and the record is written with ``complete: false``
and the signal's name in its reasons. A handler someone else set (``nohup`` ignoring SIGHUP, an
application's own) is left alone, and :meth:`RunSignals.restore` puts back the previous ones.

Example::

    signals = RunSignals()
    signals.install()  # pytest_configure of a deployment run
    ...
    signals.received  # 'SIGTERM' once one arrived
    signals.restore()  # pytest_unconfigure
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

__all__ = ["SIGNALS", "RunSignals", "deferred"]

#: the signals that end a run with a record
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

_Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


def _is_default(signum: int, handler: _Handler) -> bool:
    if signum == signal.SIGINT:
        return handler is signal.default_int_handler
    return handler == signal.SIG_DFL


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class RunSignals:
    """The handlers of one deployment run: installed once, restored at the end."""

    def __init__(self) -> None:
        self.received: str | None = None  # the name of the first signal that ended the run
        self._previous: dict[int, _Handler] = {}

    def install(self) -> None:
        """Handle SIGINT, SIGTERM and SIGHUP where Python's default would act (main thread)."""
        if self._previous or not _main_thread():
            return
        for signum in SIGNALS:
            previous = signal.getsignal(signum)
            if _is_default(signum, previous):
                self._previous[signum] = previous
                signal.signal(signum, self._handle)

    def restore(self) -> None:
        """Put back the handlers found by :meth:`install` (those still ours)."""
        if not _main_thread():
            return
        for signum, previous in self._previous.items():
            if signal.getsignal(signum) == self._handle:
                signal.signal(signum, previous)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signal.Signals(signum).name
        raise KeyboardInterrupt(f"interrupted by {signal.Signals(signum).name}")


@contextlib.contextmanager
def deferred(*, redeliver: bool = True) -> Iterator[list[str]]:
    """Hold SIGINT, SIGTERM and SIGHUP back while the block runs; yields the names received.

    Used around the short window in which outputs are renamed, so a signal cannot leave a new
    JSON record next to an old HTML page, and around the writing of the record at the end of a
    run (``redeliver=False``: the record is finished, and the run ends right after). With
    ``redeliver`` a signal that arrived goes to the handler in place before the block, after
    it. Outside the main thread, where no Python handler runs, this does nothing.
    """
    received: list[str] = []
    if not _main_thread():
        yield received
        return

    def note(signum: int, frame: FrameType | None) -> None:
        received.append(signal.Signals(signum).name)

    previous = {signum: signal.getsignal(signum) for signum in SIGNALS}
    held = [s for s, h in previous.items() if h != signal.SIG_IGN and h is not None]
    for signum in held:
        signal.signal(signum, note)
    try:
        yield received
    finally:
        for signum in held:
            signal.signal(signum, previous[signum])
        for name in dict.fromkeys(received) if redeliver else ():
            signal.raise_signal(signal.Signals[name])
