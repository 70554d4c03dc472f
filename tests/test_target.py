"""The one target layer (``_target``): failure memory, the retry hook, the exception-chain walker.

Pure logic first, then every service client against real targets on loopback: a failure is
remembered (no second attempt), ``eventually`` tries again, and a success there clears the
memory — for every client, so a new client that re-implements the memory is caught.
"""

from __future__ import annotations

import pkgutil
import re
import select
import socket
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

import pytest_deployready
from pytest_deployready._target import (
    FailureMemory,
    Target,
    exception_chain,
    retry_attempt,
    retrying,
)
from pytest_deployready.compose import Compose
from pytest_deployready.errors import (
    AuthenticationFailed,
    TargetTimeout,
    TargetUnreachable,
)
from pytest_deployready.host import Host
from pytest_deployready.http import Api, HttpTarget
from pytest_deployready.postgres import Database
from pytest_deployready.redis import RedisTarget
from pytest_deployready.retry import eventually
from pytest_deployready.tls import Tls, TlsHandshakeFailed
from tests.servers.postgres import PgServer
from tests.servers.redis import RedisServer

PACKAGE = Path(pytest_deployready.__file__).parent

# -- FailureMemory (pure) -------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        TargetUnreachable("cannot reach X at h:1: connection refused"),
        TargetTimeout("X at h:1: connect timed out after 2 s"),
        AuthenticationFailed("X at h:1: authentication failed"),
        TlsHandshakeFailed("TLS endpoint h:1: not TLS"),
    ],
)
def test_a_remembered_error_is_raised_again_as_a_fresh_copy(error: TargetUnreachable) -> None:
    memory = FailureMemory()
    assert memory.remember(error) is error
    raised = []
    for _ in range(2):
        with pytest.raises(TargetUnreachable) as info:
            memory.check()
        raised.append(info.value)
    for value in raised:
        assert type(value) is type(error) and str(value) == str(error)
        assert value is not error and value.__cause__ is None
    assert raised[0] is not raised[1]  # no traceback piles up on a shared object
    assert error.__traceback__ is None


def test_memory_is_per_key_and_forgotten_on_success() -> None:
    memory = FailureMemory()
    memory.check("http://a:80")  # nothing remembered: no error
    memory.remember(TargetUnreachable("a down"), "http://a:80")
    memory.check("http://b:80")
    with pytest.raises(TargetUnreachable, match="a down"):
        memory.check("http://a:80")
    memory.forget("http://a:80")
    memory.check("http://a:80")
    assert not memory


def test_inside_an_eventually_attempt_nothing_is_re_raised() -> None:
    memory = FailureMemory()
    memory.remember(TargetUnreachable("down"))
    assert not retrying()
    with retry_attempt():
        assert retrying()
        memory.check()
    assert not retrying()
    assert eventually(retrying, timeout=0, interval=0.01) is True
    with pytest.raises(TargetUnreachable):
        memory.check()


# -- exception_chain (pure) -----------------------------------------------------------------


class _WithReason(Exception):
    def __init__(self, message: str, reason: BaseException) -> None:
        super().__init__(message)
        self.reason = reason


def test_the_chain_follows_causes_contexts_reasons_and_arguments() -> None:
    refused = ConnectionRefusedError(111, "Connection refused")
    by_reason = _WithReason("max retries", refused)
    wrapped = Exception(by_reason)  # requests wraps urllib3's error as an argument
    try:
        try:
            raise KeyError("first")
        except KeyError:
            raise ValueError("during handling") from wrapped
    except ValueError as exc:
        chain = list(exception_chain(exc))
    names = [type(e).__name__ for e in chain]
    assert names[0] == "ValueError"
    assert {"Exception", "KeyError", "_WithReason", "ConnectionRefusedError"} <= set(names)
    assert chain.index(wrapped) < chain.index(by_reason) < chain.index(refused)


def test_the_chain_survives_cycles() -> None:
    a, b = ValueError("a"), ValueError("b")
    a.__context__, b.__context__ = b, a
    assert list(exception_chain(a)) == [a, b]


# -- one mechanism, everywhere --------------------------------------------------------------


def test_every_service_client_uses_the_shared_layer() -> None:
    for client in (Database, RedisTarget, HttpTarget, Api, Compose):
        assert issubclass(client, Target), client
    assert isinstance(Tls()._failures, FailureMemory)
    assert isinstance(Host("local", "local://")._failures, FailureMemory)


def test_no_module_keeps_its_own_retry_state_or_chain_walker() -> None:
    """Retry state and chain walking live in _target.py only; a new client must use them."""
    offenders = []
    for info in pkgutil.walk_packages([str(PACKAGE)], ""):
        path = PACKAGE / (info.name.replace(".", "/") + ("/__init__.py" if info.ispkg else ".py"))
        if info.name == "_target" or not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        if "__context__" in text or re.search(r"ContextVar\(\s*\"[^\"]*retry", text):
            offenders.append(info.name)
    assert offenders == []


# -- every client against a real target -----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _LateProxy:
    """A port that refuses connections until :meth:`open`, then forwards them to ``upstream``."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))  # bound, not listening: refused
        self.port = int(self.sock.getsockname()[1])
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def open(self) -> None:
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self._spawn(self._accept)

    def _spawn(self, fn: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=fn, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream), timeout=10)
            self._spawn(self._pipe, client, server)

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        with a, b:
            while not self._stop.is_set():
                ready, _, _ = select.select([a, b], [], [], 0.2)
                for src in ready:
                    data = src.recv(65536)
                    if not data:
                        return
                    (b if src is a else a).sendall(data)

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
        for thread in self._threads:
            thread.join(timeout=10)


@pytest.fixture
def late_proxy() -> Iterator[Callable[[int], _LateProxy]]:
    proxies: list[_LateProxy] = []

    def make(upstream: int) -> _LateProxy:
        proxies.append(_LateProxy(upstream))
        return proxies[-1]

    yield make
    for proxy in proxies:
        proxy.close()


@pytest.mark.parametrize("kind", ["db", "redis"])
def test_a_target_that_comes_up_is_remembered_retried_then_forgotten(
    kind: str,
    pg_server: PgServer,
    redis_server: RedisServer,
    late_proxy: Callable[[int], _LateProxy],
) -> None:
    """Down: one attempt, then fail fast. Inside eventually: tried again until it answers.
    After that success the failure is forgotten: a reconnect outside eventually works."""
    upstream = pg_server.port if kind == "db" else redis_server.port
    proxy = late_proxy(upstream)
    client: Database | RedisTarget
    use: Callable[[], object]
    if kind == "db":
        db = Database(pg_server.url.replace(f":{upstream}/", f":{proxy.port}/"))
        client, use = db, partial(db.scalar, "SELECT 1")
    else:
        client = RedisTarget(redis_server.url.replace(f":{upstream}/", f":{proxy.port}/"))
        use = client.ping_ms
    close = client.close
    try:
        with pytest.raises(TargetUnreachable, match="connection refused"):
            use()
        with pytest.raises(TargetUnreachable, match="connection refused"):
            use()
        assert client.connect_attempts == 1

        tries: list[int] = []

        def comes_up() -> object:
            tries.append(1)
            if len(tries) == 2:
                proxy.open()
            return use()

        eventually(comes_up, timeout=30, interval=0.05)
        assert len(tries) >= 2
        close()  # the next call connects again, outside eventually
        use()
    finally:
        close()


def test_compose_and_tls_remember_and_retry(tmp_path: Path) -> None:
    compose_file = tmp_path / "compose.yaml"
    compose_file.write_text("services:\n  api:\n    image: busybox\n")
    stack = Compose(compose_file, docker_host=f"unix://{tmp_path}/no-docker.sock", timeout=2)
    tls = Tls(timeout_s=2)
    endpoint = f"127.0.0.1:{_free_port()}"
    for use in (stack.engine_version, lambda: tls.certificate(endpoint)):
        with pytest.raises(TargetUnreachable) as first:
            use()
        with pytest.raises(TargetUnreachable) as again:
            use()  # remembered: raised again at once
        assert str(again.value) == str(first.value)
        with retry_attempt(), pytest.raises(TargetUnreachable):
            use()  # tried again
    assert stack.connect_attempts == 2


def test_eventually_retries_a_raw_httpx_transport_error() -> None:
    """httpx's errors stay retryable although retry.py does not import httpx itself."""
    import httpx

    calls: list[int] = []

    def flaky() -> bool:
        calls.append(1)
        if len(calls) < 3:
            raise httpx.ConnectError("refused")
        return True

    assert eventually(flaky, timeout=10, interval=0.01) is True
    assert len(calls) == 3
