"""Time how long a page takes to load and render in headless Chromium (Debian's ``chromium``).

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: fd 3 in,
fd 4 out), standard library only. For each measurement a fresh tab is opened, the page is
navigated to, and after the ``load`` event the page itself is asked for the time of the first
animation frame after a forced layout, as ``performance.now()`` (milliseconds since the
navigation started). That covers fetching, parsing, running the page's scripts (pytest-html
builds its table in JavaScript) and laying the page out. The number of rendered rows is read
too, so a page that "loaded" without its content does not count as fast.

Example::

    with Browser() as browser:
        ms, rows = browser.render_ms(Path("report.html"), "document.querySelectorAll('tr').length")
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["FLAGS", "Browser", "chromium_version"]

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

_RENDERED = """
new Promise(function (resolve) {
  void document.body.offsetHeight;
  requestAnimationFrame(function () {
    setTimeout(function () { resolve(performance.now()); }, 0);
  });
})
"""


def chromium_version() -> str:
    """``Chromium 156.0...`` as the binary prints it.

    Example: ``chromium_version()``
    """
    out = subprocess.run(
        ["chromium", "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    return out.stdout.strip() or out.stderr.strip()


class Browser:
    """One headless Chromium process, driven over a DevTools pipe."""

    def __init__(self, timeout_s: float = 120.0) -> None:
        self.timeout_s = timeout_s
        self._profile = tempfile.mkdtemp(prefix="deployready-bench-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def child_fds() -> None:  # fd 3: Chromium reads commands; fd 4: it writes replies
            high_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 100)
            high_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 100)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self._proc = subprocess.Popen(
            [
                "chromium",
                *FLAGS,
                f"--user-data-dir={self._profile}",
                "--remote-debugging-pipe",
                "--window-size=1280,900",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=child_fds,  # no threads run yet in this process
            pass_fds=(3, 4),
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Browser:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Ask Chromium to quit, then make sure it did; remove its profile."""
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            self.call("Browser.close")
        try:
            self._proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=15)
        for fd in (self._to_chrome, self._from_chrome):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)

    # -- protocol ------------------------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from Chromium in time")
            ready, _, _ = select.select([self._from_chrome], [], [], 1.0)
            if not ready:
                if self._proc.poll() is not None:
                    raise RuntimeError(f"chromium exited with {self._proc.returncode}")
                continue
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        """Send one command and wait for its result (events that arrive meanwhile are kept)."""
        self._next_id += 1
        ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout_s
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == ident:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if "method" in reply:
                self._events.append(reply)

    def wait_event(self, method: str, session: str) -> dict[str, Any]:
        """Wait for an event of ``method`` on ``session``."""
        deadline = time.monotonic() + self.timeout_s
        while True:
            for i, event in enumerate(self._events):
                if event.get("method") == method and event.get("sessionId") == session:
                    del self._events[i]
                    return event
            self._events.append(self._read_message(deadline))

    # -- measurements --------------------------------------------------------------------------

    def render_ms(self, page: Path, count_js: str) -> tuple[float, float, int]:
        """Open ``page`` in a new tab: (page-side ms to the first frame after load, wall ms from
        navigation to that answer, the value of ``count_js`` then).

        Example: ``browser.render_ms(Path("r.html"), "document.querySelectorAll('.c').length")``
        """
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        try:
            self.call("Page.enable", session=session)
            self._events.clear()
            start = time.perf_counter()
            self.call("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
            self.wait_event("Page.loadEventFired", session)
            page_ms = self.call(
                "Runtime.evaluate",
                {"expression": _RENDERED, "awaitPromise": True, "returnByValue": True},
                session=session,
            )["result"]["value"]
            wall_ms = (time.perf_counter() - start) * 1000
            count = self.call(
                "Runtime.evaluate",
                {"expression": count_js, "returnByValue": True},
                session=session,
            )["result"].get("value")
        finally:
            self.call("Target.closeTarget", {"targetId": target})
            self._events.clear()
        return float(page_ms), wall_ms, int(count or 0)

    def evaluate_ms(self, page: Path, action_js: str) -> float:
        """Open ``page``, then time ``action_js`` (an expression returning a Promise of ms).

        Example: ``browser.evaluate_ms(page, "filterTiming('timeout')")``
        """
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        try:
            self.call("Page.enable", session=session)
            self._events.clear()
            self.call("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
            self.wait_event("Page.loadEventFired", session)
            value = self.call(
                "Runtime.evaluate",
                {"expression": action_js, "awaitPromise": True, "returnByValue": True},
                session=session,
            )["result"]["value"]
        finally:
            self.call("Target.closeTarget", {"targetId": target})
            self._events.clear()
        return float(value)

    def screenshot(self, page: Path, png: Path, before_js: str = "0") -> None:
        """Open ``page``, run ``before_js`` (e.g. scroll), save a PNG of the viewport.

        Example: ``browser.screenshot(page, Path("shot.png"), "location.hash='#checks-h'")``
        """
        import base64

        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        try:
            self.call("Page.enable", session=session)
            self._events.clear()
            self.call("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
            self.wait_event("Page.loadEventFired", session)
            self.call(
                "Runtime.evaluate",
                {
                    "expression": f"Promise.resolve({before_js}).then(()=>new Promise(r=>"
                    "setTimeout(r,300)))",
                    "awaitPromise": True,
                },
                session=session,
            )
            data = self.call("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
            png.write_bytes(base64.b64decode(data))
        finally:
            self.call("Target.closeTarget", {"targetId": target})
            self._events.clear()
