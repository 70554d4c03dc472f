"""Tests of pytest_deployready.http against the real test app (tests/servers/http.py)."""

from __future__ import annotations

import json
import math
import time
import uuid
from urllib.parse import urlsplit

import pytest

from pytest_deployready._target import retrying
from pytest_deployready.errors import TargetTimeout, TargetUnreachable
from pytest_deployready.http import (
    MAX_SAMPLE_REQUESTS,
    SECURITY_HEADERS,
    Api,
    HealthResult,
    SampleResult,
    elapsed_ms,
)
from pytest_deployready.retry import eventually
from pytest_deployready.stats import percentile
from tests.servers.http import (
    ALLOWED_ORIGIN,
    API_TOKEN,
    HttpServer,
    RunningServer,
    bound_socket,
    build_app,
    serve,
    stop,
)


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def _key() -> str:
    return uuid.uuid4().hex


# -- percentile and result math (pure) --------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "expected"),
    [(0, 1.0), (50, 5.5), (90, 9.1), (95, 9.55), (99, 9.91), (100, 10.0)],
)
def test_percentile_interpolates_linearly(p: float, expected: float) -> None:
    values = [7.0, 1.0, 10.0, 3.0, 2.0, 9.0, 4.0, 6.0, 5.0, 8.0]  # unsorted on purpose
    assert percentile(values, p) == pytest.approx(expected)


def test_percentile_of_one_value_and_bad_input() -> None:
    assert percentile([42.0], 95) == 42.0
    with pytest.raises(ValueError, match="empty"):
        percentile([], 50)
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)


def test_sample_result_summarises_measurements() -> None:
    result = SampleResult.from_measurements(
        method="GET",
        path="/x",
        concurrency=2,
        latencies_ms=[10.0, 20.0, 30.0, 40.0],
        statuses=[200, 200, 500, 404],
        transport_errors={"connection reset by peer": 1},
        duration_s=0.5,
        expect_status=range(200, 400),
    )
    assert result.count == 5
    assert result.errors == 3
    assert result.error_rate == pytest.approx(0.6)
    assert result.status_counts == {200: 2, 404: 1, 500: 1}
    assert (result.min_ms, result.max_ms, result.mean_ms) == (10.0, 40.0, 25.0)
    assert result.p50_ms == pytest.approx(25.0)
    assert result.p90_ms == pytest.approx(37.0)
    assert result.rps == pytest.approx(10.0)
    data = result.as_dict()
    assert data["status_counts"] == {"200": 2, "404": 1, "500": 1}
    assert json.loads(json.dumps(data)) == data
    assert "p95 38.5 ms" in str(result)


# -- requests ---------------------------------------------------------------------------------


def test_get_is_timed_and_reuses_its_connection(http_server: HttpServer) -> None:
    api = Api(http_server.base_url)
    responses = [api.get("/health") for _ in range(5)]
    assert all(r.status_code == 200 for r in responses)
    assert responses[0].json()["status"] == "ok"
    assert all(elapsed_ms(r) > 0 for r in responses)
    assert elapsed_ms(responses[0]) == pytest.approx(responses[0].elapsed.total_seconds() * 1000)
    assert api.connect_attempts == 1
    api.close()


def test_http_error_status_is_an_answer_not_unreachable(http_server: HttpServer) -> None:
    api = Api(http_server.base_url)
    assert api.get("/status/503").status_code == 503
    assert api.post("/status/500").status_code == 500
    assert api.head("/status/204").status_code == 204
    assert api.get("/health").status_code == 200


def test_base_url_path_is_kept(http_server: HttpServer) -> None:
    api = Api(http_server.prometheus_url)
    response = api.get("/api/v1/query", params={"query": "sum(up)"})
    assert response.status_code == 200
    assert response.json()["status"] == "success"


def test_bearer_token_is_sent(http_server: HttpServer) -> None:
    assert Api(http_server.base_url, token=API_TOKEN).get("/auth").status_code == 200
    assert Api(http_server.base_url).get("/auth").status_code == 401
    assert Api(http_server.base_url, token="wrong-token").get("/auth").status_code == 401


def test_token_never_shown(http_server: HttpServer, refused_url: str) -> None:
    api = Api(http_server.base_url, token=API_TOKEN, name="orders")
    assert API_TOKEN not in repr(api)
    assert "token=***" in repr(api)
    assert API_TOKEN not in repr(api.health("/auth"))
    result = api.sample("GET", "/auth", n=3, concurrency=2)
    assert result.errors == 0
    assert API_TOKEN not in repr(result) + str(result) + json.dumps(result.as_dict())

    dead = Api(refused_url.replace("http://", "http://release:hunter22@"), token=API_TOKEN)
    assert "hunter22" not in repr(dead) and API_TOKEN not in repr(dead)
    with pytest.raises(TargetUnreachable) as excinfo:
        dead.get("/auth")
    shown = str(excinfo.value) + repr(excinfo.value)
    assert API_TOKEN not in shown and "hunter22" not in shown
    with pytest.raises(TargetUnreachable) as excinfo:
        eventually(lambda: dead.get("/auth").status_code == 200, timeout=0, interval=0.01)
    assert API_TOKEN not in str(excinfo.value)


# -- sample -----------------------------------------------------------------------------------


def test_sample_runs_requests_concurrently(http_server: HttpServer) -> None:
    api = Api(http_server.base_url)
    key = _key()
    started = time.perf_counter()
    result = api.sample("GET", f"/slow?ms=200&key={key}", n=20, concurrency=10)
    wall_s = time.perf_counter() - started

    assert result.count == 20
    assert result.errors == 0
    assert result.status_counts == {200: 20}
    assert result.concurrency == 10
    # The server saw all ten workers at once (a count, not a time).
    stats = api.get("/slow/stats", params={"key": key}).json()
    assert stats["max_in_flight"] == 10
    # Sequential would take 4 s; generous bound.
    assert wall_s < 2.0
    assert result.duration_s < 2.0
    # Each latency covers the server's 200 ms sleep.
    assert result.min_ms >= 150
    assert result.min_ms <= result.p50_ms <= result.p90_ms <= result.p95_ms
    assert result.p95_ms <= result.p99_ms <= result.max_ms
    assert result.rps == pytest.approx(result.count / result.duration_s)


def test_sample_stops_after_duration(http_server: HttpServer) -> None:
    api = Api(http_server.base_url)
    result = api.sample("GET", "/slow?ms=20", duration=0.3, concurrency=3)
    assert result.count >= 3
    assert result.errors == 0
    # No request starts after the deadline, and every worker ran up to it.
    assert result.duration_s >= 0.3


def test_sample_n_bounds_a_duration(http_server: HttpServer) -> None:
    result = Api(http_server.base_url).sample("GET", "/health", n=5, duration=60, concurrency=10)
    assert result.count == 5
    assert result.concurrency == 5


def test_sample_counts_error_statuses(http_server: HttpServer) -> None:
    api = Api(http_server.base_url)
    failing = api.sample("GET", "/status/500", n=10, concurrency=5)
    assert failing.count == 10
    assert failing.errors == 10
    assert failing.error_rate == 1.0
    assert failing.status_counts == {500: 10}
    assert not math.isnan(failing.p95_ms)

    expected = api.sample("POST", "/status/500", n=4, concurrency=2, expect_status=500)
    assert expected.errors == 0
    assert expected.method == "POST"

    not_found = api.sample("GET", "/status/404", n=4, concurrency=2)
    assert not_found.errors == 4  # 404 is outside the default 200-399


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "needs n"),
        ({"n": 0}, "n must be between"),
        ({"n": MAX_SAMPLE_REQUESTS + 1}, "n must be between"),
        ({"n": 5, "concurrency": 0}, "concurrency must be between"),
        ({"duration": 0}, "duration must be positive"),
    ],
)
def test_sample_validates_arguments(
    http_server: HttpServer, kwargs: dict[str, int], match: str
) -> None:
    api = Api(http_server.base_url)
    with pytest.raises(ValueError, match=match):
        api.sample(
            "GET",
            "/health",
            n=kwargs.get("n"),
            duration=kwargs.get("duration"),
            concurrency=kwargs.get("concurrency", 10),
        )
    assert api.connect_attempts == 0


def test_sample_on_dead_api_raises_and_remembers(refused_url: str) -> None:
    api = Api(refused_url)
    port = _port(refused_url)
    with pytest.raises(TargetUnreachable, match=f"127.0.0.1:{port}: connection refused"):
        api.sample("GET", "/", n=100, concurrency=4)
    attempts = api.connect_attempts
    assert 1 <= attempts <= 4  # stopped at the first failure, not 100 attempts
    with pytest.raises(TargetUnreachable):
        api.sample("GET", "/", n=100, concurrency=4)
    with pytest.raises(TargetUnreachable):
        api.get("/")
    assert api.connect_attempts == attempts


# -- health, security headers, CORS -----------------------------------------------------------


def test_health_ok(http_server: HttpServer) -> None:
    health = Api(http_server.base_url).health()
    assert isinstance(health, HealthResult)
    assert health.ok and bool(health)
    assert health.status == 200
    assert health.body == {"status": "ok", "version": "1.4.2"}
    assert health.elapsed_ms > 0
    assert "1.4.2" in health.text


def test_health_not_ok(http_server: HttpServer) -> None:
    api = Api(http_server.base_url)
    down = api.health("/health?state=down")
    assert down.status == 200 and not down.ok  # body says down
    unavailable = api.health("/status/503")
    assert unavailable.status == 503 and not unavailable.ok and unavailable.body is None
    assert api.health("/status/503", expect_status=503).ok
    assert api.health("/status/204", expect_status=range(200, 300)).ok
    assert down.reason == "status 'down'"
    assert unavailable.reason == "HTTP 503"
    assert Api(http_server.base_url).health().reason == ""


def test_health_refused_credentials_is_authentication_failed(http_server: HttpServer) -> None:
    refused = Api(http_server.base_url, token="wrong-token-5512").health("/auth")
    assert refused.status == 401 and not refused.ok
    assert refused.reason == (
        "authentication failed (HTTP 401: API refused the token; check targets.api_token_env)"
    )
    assert "wrong-token-5512" not in repr(refused)
    without = Api(http_server.base_url).health("/auth")
    assert without.reason.startswith("authentication failed (HTTP 401: API refused no token")
    assert Api(http_server.base_url, token=API_TOKEN).health("/auth").ok


def test_security_headers_present(http_server: HttpServer) -> None:
    sec = Api(http_server.base_url).security_headers("/headers")
    assert sec.status == 200
    assert sec.missing() == []
    assert sec.hsts == "max-age=31536000; includeSubDomains"
    assert sec.hsts_max_age == 31536000
    assert sec.csp == "default-src 'self'"
    assert sec.x_content_type_options == "nosniff"
    assert sec.x_frame_options == "DENY"
    assert sec.referrer_policy == "no-referrer"


def test_security_headers_missing(http_server: HttpServer) -> None:
    sec = Api(http_server.base_url).security_headers("/plain")
    assert sec.missing() == list(SECURITY_HEADERS)
    assert sec.hsts_max_age is None
    assert sec.missing(["x-frame-options"]) == ["x-frame-options"]
    with pytest.raises(ValueError, match="unknown security header"):
        sec.missing(["X-Powered-By"])


def test_cors_allowed_origin(http_server: HttpServer) -> None:
    api = Api(http_server.base_url)
    simple = api.cors("/health", ALLOWED_ORIGIN)  # a simple GET: no preflight, as a browser
    assert simple.allowed and not simple.preflight
    assert simple.actual_status == 200 and simple.allow_origin == ALLOWED_ORIGIN
    pre = api.cors("/health", ALLOWED_ORIGIN, "POST", request_headers=["Content-Type"],
                   credentials=True)  # fmt: skip
    assert pre.allowed and pre.preflight and pre.status == 200
    assert set(pre.allow_methods) >= {"GET", "POST"} and pre.allow_credentials
    assert pre.max_age == 600
    assert pre.actual_allow_origin == ALLOWED_ORIGIN and pre.actual_allow_credentials
    # A token means the page sends Authorization: the preflight must allow it (this one does).
    with_token = Api(http_server.base_url, token="t0k3n").cors("/health", ALLOWED_ORIGIN)
    assert with_token.preflight and with_token.allowed
    assert "authorization" in {h.lower() for h in with_token.allow_headers}


def test_cors_refused(http_server: HttpServer) -> None:
    api = Api(http_server.base_url)
    other = api.cors("/health", "https://evil.example")
    assert not other.allowed and other.allow_origin is None  # the response does not allow it
    preflighted = api.cors("/health", "https://evil.example", request_headers=["X-Debug"])
    assert not preflighted.allowed and preflighted.status == 400
    assert not api.cors("/health", ALLOWED_ORIGIN, method="DELETE").allowed
    assert not api.cors("/health", ALLOWED_ORIGIN, request_headers=["X-Debug"]).allowed


def test_a_preflight_carries_no_token_and_asks_for_authorization() -> None:
    """What a browser sends: OPTIONS without credentials, Authorization listed as requested."""
    import socket
    import threading

    seen: list[str] = []
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        for _ in range(1):  # the preflight; a refused one is not followed by the request
            conn, _ = listener.accept()
            with conn:
                seen.append(conn.recv(65536).decode("latin-1"))
                conn.sendall(
                    b"HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: https://app.example"
                    b"\r\nAccess-Control-Allow-Methods: GET\r\nAccess-Control-Allow-Headers: *"
                    b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        api = Api(f"http://127.0.0.1:{port}", token="s3cr3t-api-token")
        cors = api.cors("/x", "https://app.example")
        assert cors.preflight and not cors.allowed  # "*" does not cover Authorization
    finally:
        thread.join(timeout=5)
        listener.close()
    (preflight,) = seen
    lines = preflight.lower().split("\r\n")
    assert lines[0].startswith("options /x")
    assert "access-control-request-headers: authorization" in lines
    assert not [ln for ln in lines if ln.startswith("authorization:")]


def test_auth_false_sends_no_authorization(http_server: HttpServer) -> None:
    api = Api(http_server.base_url, token="s3cr3t-api-token")
    assert api.get("/auth").status_code == 200
    assert api.get("/auth", auth=False).status_code == 401  # no header at all, not an empty one
    assert api.get("/auth").status_code == 200  # the default is unchanged afterwards


# -- eventually -------------------------------------------------------------------------------


def test_eventually_waits_for_flaky_endpoint(http_server: HttpServer) -> None:
    api = Api(http_server.base_url)
    key = _key()
    calls: list[int] = []

    def ready() -> bool:
        response = api.get("/flaky", params={"key": key, "fails": 3})
        calls.append(response.json()["call"])
        return response.status_code == 200

    assert eventually(ready, timeout=30, interval=0.01) is True
    assert calls == [1, 2, 3, 4]


def test_eventually_returns_the_result(http_server: HttpServer) -> None:
    api = Api(http_server.base_url)
    key = _key()
    health = eventually(lambda: api.health(f"/flaky?key={key}&fails=2"), timeout=30, interval=0.01)
    assert health.ok and health.body["call"] == 3


def test_eventually_accepts_assertion_style_functions() -> None:
    calls: list[int] = []

    def check() -> None:
        calls.append(1)
        assert len(calls) >= 3, "not yet"

    eventually(check, timeout=30, interval=0.01)
    assert len(calls) == 3


def test_eventually_timeout_message() -> None:
    calls: list[int] = []

    def never() -> bool:
        calls.append(1)
        return False

    with pytest.raises(AssertionError) as excinfo:
        eventually(never, timeout=0.2, interval=0.05, message="queue drained")
    message = str(excinfo.value)
    assert message.startswith("queue drained: not satisfied within 0.2 s")
    assert f"({len(calls)} attempts)" in message
    assert message.endswith("last result: False")
    assert len(calls) >= 2

    def failing() -> None:
        raise AssertionError("3 jobs still queued\nmore detail")

    with pytest.raises(AssertionError) as excinfo:
        eventually(failing, timeout=0, interval=0.01)
    assert str(excinfo.value) == (
        "failing: not satisfied within 0 s (1 attempt); last error: 3 jobs still queued"
    )
    with pytest.raises(AssertionError, match=r"^condition: not satisfied"):
        eventually(lambda: [], timeout=0, interval=0.01)


def test_eventually_does_not_retry_other_errors() -> None:
    calls: list[int] = []

    def broken() -> bool:
        calls.append(1)
        raise KeyError("bug in the check")

    with pytest.raises(KeyError):
        eventually(broken, timeout=30, interval=0.01)
    assert calls == [1]
    with pytest.raises(ValueError, match="interval"):
        eventually(broken, interval=0)


def test_eventually_retries_a_remembered_connection_failure() -> None:
    sock = bound_socket()  # bound, not listening: refused until the server starts on it
    port = int(sock.getsockname()[1])
    api = Api(f"http://127.0.0.1:{port}")
    running: list[RunningServer] = []
    try:
        with pytest.raises(TargetUnreachable, match="connection refused"):
            api.health()
        with pytest.raises(TargetUnreachable, match="connection refused"):
            api.health()  # remembered: no new attempt
        assert api.connect_attempts == 1

        attempts: list[int] = []

        def healthy() -> bool:
            attempts.append(1)
            if len(attempts) == 3:
                running.append(serve(build_app(), sock))
            return api.health().ok

        assert eventually(healthy, timeout=30, interval=0.01) is True
        assert len(attempts) == 3
        # 1 before, then inside eventually two refused retries and one that connected.
        assert api.connect_attempts == 4
        assert api.health().ok  # the success cleared the remembered failure
    finally:
        if running:
            stop(running[0])
        else:
            sock.close()


def test_eventually_timeout_on_unreachable_keeps_failing_fast(refused_url: str) -> None:
    api = Api(refused_url)
    with pytest.raises(TargetUnreachable) as excinfo:
        eventually(lambda: api.health().ok, timeout=0.2, interval=0.05, message="API up")
    message = str(excinfo.value)
    assert message.startswith(f"cannot reach API at 127.0.0.1:{_port(refused_url)}: ")
    assert "connection refused (API up: not satisfied within 0.2 s (" in message
    attempts = api.connect_attempts
    assert attempts >= 2
    with pytest.raises(TargetUnreachable):
        api.health()
    assert api.connect_attempts == attempts


# -- faults -----------------------------------------------------------------------------------


def test_closed_port_fails_fast_and_remembers(refused_url: str) -> None:
    api = Api(refused_url, timeout=5)
    expected = f"cannot reach API at 127.0.0.1:{_port(refused_url)}: connection refused"
    started = time.perf_counter()
    for _ in range(50):
        with pytest.raises(TargetUnreachable) as excinfo:
            api.get("/health")
        assert str(excinfo.value) == expected
        assert excinfo.value.__cause__ is None
    assert api.connect_attempts == 1
    assert time.perf_counter() - started < 20
    for call in (api.health, api.security_headers, lambda: api.cors("/", ALLOWED_ORIGIN)):
        with pytest.raises(TargetUnreachable, match="connection refused"):
            call()
    assert api.connect_attempts == 1


def test_reset_tries_again(refused_url: str) -> None:
    api = Api(refused_url)
    for _ in range(3):
        with pytest.raises(TargetUnreachable):
            api.get("/")
    assert api.connect_attempts == 1
    api.reset()
    with pytest.raises(TargetUnreachable):
        api.get("/")
    assert api.connect_attempts == 2


def test_unresolvable_host() -> None:
    api = Api("http://deployready-test.invalid:8080", name="payments")
    with pytest.raises(TargetUnreachable) as excinfo:
        api.get("/health")
    assert str(excinfo.value) == (
        "cannot reach API 'payments' at deployready-test.invalid:8080: could not resolve host"
    )
    with pytest.raises(TargetUnreachable):
        api.get("/health")
    assert api.connect_attempts == 1


def test_default_port_in_message() -> None:
    with pytest.raises(TargetUnreachable, match=r"at deployready-test\.invalid:443: could not"):
        Api("https://deployready-test.invalid").get("/")


def test_server_that_never_answers(unresponsive_url: str) -> None:
    api = Api(unresponsive_url, timeout=1)
    expected = f"API at 127.0.0.1:{_port(unresponsive_url)}: GET /health timed out after 1 s"
    with pytest.raises(TargetTimeout) as excinfo:
        api.get("/health")
    assert str(excinfo.value) == expected
    assert "\n" not in str(excinfo.value)
    started = time.perf_counter()
    for _ in range(50):
        with pytest.raises(TargetTimeout, match="timed out after 1 s"):
            api.health()
    assert time.perf_counter() - started < 20
    assert api.connect_attempts == 1


def test_tls_to_plain_http_server(http_server: HttpServer) -> None:
    api = Api(f"https://127.0.0.1:{http_server.port}", timeout=5)
    with pytest.raises(TargetUnreachable) as excinfo:
        api.get("/health")
    assert str(excinfo.value).startswith(
        f"cannot reach API at 127.0.0.1:{http_server.port}: TLS error"
    )
    assert "\n" not in str(excinfo.value)


def test_slow_endpoint_does_not_mark_a_live_api_down(http_server: HttpServer) -> None:
    api = Api(http_server.base_url, timeout=0.5)
    assert api.get("/health").status_code == 200
    with pytest.raises(TargetTimeout) as excinfo:
        api.get("/slow?ms=1500")
    assert str(excinfo.value) == (
        f"API at 127.0.0.1:{http_server.port}: GET /slow timed out after 0.5 s"
    )
    assert api.get("/health").status_code == 200


def test_retrying_is_true_only_inside_eventually() -> None:
    assert not retrying()
    assert eventually(retrying, timeout=0, interval=0.01) is True
    assert not retrying()
