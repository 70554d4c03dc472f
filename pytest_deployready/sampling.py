"""Latency sampling: many requests from worker threads, summarised as a :class:`SampleResult`.

The engine behind :meth:`Api.sample <pytest_deployready.http.Api.sample>`: ``concurrency``
threads share one connection pool and send prepared requests straight to the transport, each
request timed from sending its headers to the end of its body (httpcore trace events) and
bounded by its own overall deadline. Percentiles use :func:`pytest_deployready.stats.percentile`.

Example::

    result = api.sample("GET", "/api/v1/health", n=200, concurrency=20)
    thresholds.check("api_p95_ms", result.p95_ms)
    assert result.error_rate < 0.001, result
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from pytest_deployready._deadlines import Deadline, fmt_seconds
from pytest_deployready._http_transport import (
    BODY_DONE_EVENT_SUFFIX,
    CONNECT_EVENTS,
    SEND_EVENT_SUFFIX,
    is_connect_failure,
    origin,
    transport_reason,
)
from pytest_deployready.stats import percentile

if TYPE_CHECKING:
    from pytest_deployready.http import HttpTarget

__all__ = ["MAX_SAMPLE_CONCURRENCY", "MAX_SAMPLE_REQUESTS", "SampleResult", "sample"]

#: Upper bound on the number of requests one :meth:`Api.sample` call may send.
MAX_SAMPLE_REQUESTS = 100_000
#: Upper bound on the concurrency of one :meth:`Api.sample` call (one thread per worker).
MAX_SAMPLE_CONCURRENCY = 256


@dataclass(frozen=True)
class SampleResult:
    """Outcome of :meth:`Api.sample`: counts, error rate, latency percentiles (ms), throughput.

    ``count`` is every request sent; ``errors`` counts statuses outside ``expect_status`` plus
    transport failures (listed in ``transport_errors``). Latencies are measured for requests
    that got an HTTP answer, whatever the status, from sending the request headers to the end
    of the body (like k6's ``http_req_duration``: connecting and TLS are not included).
    Percentiles interpolate linearly between ranks (:func:`~pytest_deployready.stats.percentile`).
    ``rps`` is ``count / duration_s`` over the wall-clock time of the whole sample.

    Example::

        result = api.sample("GET", "/", n=100, concurrency=10)
        assert result.p95_ms < 200 and result.error_rate == 0, result.as_dict()
    """

    method: str
    path: str
    concurrency: int
    count: int
    errors: int
    error_rate: float
    status_counts: Mapping[int, int]
    transport_errors: Mapping[str, int]
    min_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    rps: float
    duration_s: float

    @classmethod
    def from_measurements(
        cls,
        *,
        method: str,
        path: str,
        concurrency: int,
        latencies_ms: Sequence[float],
        statuses: Sequence[int],
        transport_errors: Mapping[str, int],
        duration_s: float,
        expect_status: Container[int],
    ) -> SampleResult:
        """Summarise raw measurements (one latency per HTTP answer, in ms).

        Example::

            SampleResult.from_measurements(method="GET", path="/", concurrency=1,
                latencies_ms=[1.0, 2.0], statuses=[200, 500], transport_errors={},
                duration_s=0.01, expect_status=range(200, 400)).error_rate  # 0.5
        """
        status_counts: dict[int, int] = {}
        for status in statuses:
            status_counts[status] = status_counts.get(status, 0) + 1
        failed_transport = sum(transport_errors.values())
        count = len(statuses) + failed_transport
        errors = failed_transport + sum(
            n for status, n in status_counts.items() if status not in expect_status
        )

        def pct(p: float) -> float:
            return percentile(latencies_ms, p) if latencies_ms else math.nan

        return cls(
            method=method,
            path=path,
            concurrency=concurrency,
            count=count,
            errors=errors,
            error_rate=errors / count if count else 0.0,
            status_counts=dict(sorted(status_counts.items())),
            transport_errors=dict(transport_errors),
            min_ms=min(latencies_ms) if latencies_ms else math.nan,
            p50_ms=pct(50),
            p90_ms=pct(90),
            p95_ms=pct(95),
            p99_ms=pct(99),
            max_ms=max(latencies_ms) if latencies_ms else math.nan,
            mean_ms=sum(latencies_ms) / len(latencies_ms) if latencies_ms else math.nan,
            rps=count / duration_s if duration_s > 0 else 0.0,
            duration_s=duration_s,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (status codes as string keys, times rounded to 0.001 ms).

        Example::

            evidence.add("orders_latency", result.as_dict())
        """
        return {
            "method": self.method,
            "path": self.path,
            "concurrency": self.concurrency,
            "count": self.count,
            "errors": self.errors,
            "error_rate": self.error_rate,
            "status_counts": {str(k): v for k, v in self.status_counts.items()},
            "transport_errors": dict(self.transport_errors),
            "min_ms": _round(self.min_ms),
            "p50_ms": _round(self.p50_ms),
            "p90_ms": _round(self.p90_ms),
            "p95_ms": _round(self.p95_ms),
            "p99_ms": _round(self.p99_ms),
            "max_ms": _round(self.max_ms),
            "mean_ms": _round(self.mean_ms),
            "rps": _round(self.rps),
            "duration_s": round(self.duration_s, 6),
        }

    def __str__(self) -> str:
        return (
            f"{self.method} {self.path}: {self.count} requests, {self.errors} errors "
            f"({self.error_rate:.2%}), p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms, "
            f"p99 {self.p99_ms:.1f} ms, max {self.max_ms:.1f} ms, {self.rps:.1f} req/s"
        )


def _round(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 3)


class _SampleWorker:
    """One sampling thread's trace hook: when its current request went out and came back.

    Built once per thread with the thread's request, so a request costs no new closure or
    request object. ``started`` is taken as httpcore starts writing the request headers and
    ``ended`` as it has read the end of the body (``*.receive_response_body.complete``), so
    Python work before the bytes leave and after the body is in is not counted.
    """

    __slots__ = ("api", "ended", "latencies_ms", "request", "started", "statuses")

    def __init__(self, api: HttpTarget) -> None:
        self.api = api
        self.started = 0.0
        self.ended = 0.0
        self.latencies_ms: list[float] = []
        self.statuses: list[int] = []
        self.request: httpx.Request | None = None

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event.endswith(BODY_DONE_EVENT_SUFFIX):
            self.ended = time.perf_counter()
        elif event.endswith(SEND_EVENT_SUFFIX):
            self.started = time.perf_counter()
        elif event in CONNECT_EVENTS:
            with self.api._lock:
                self.api.connect_attempts += 1


class _SampleRun:
    """The worker threads of one :meth:`Api.sample` call and what they measured."""

    def __init__(
        self,
        api: HttpTarget,
        method: str,
        path: str,
        json: Any,
        headers: Mapping[str, str] | None,
        limit: int,
        duration: float | None,
        workers: int,
    ) -> None:
        self.api = api
        self.method = method
        self.path = path
        self.json = json
        self.headers = headers
        self.limit = limit
        self.duration = duration
        self.workers = workers
        self.latencies_ms: list[float] = []
        self.statuses: list[int] = []
        self.transport_errors: dict[str, int] = {}
        self.abort: tuple[httpx.TransportError, httpx.Request, Deadline] | None = None
        self.early_errors: list[tuple[httpx.TransportError, Deadline]] = []
        self.duration_s = 0.0
        self._issued = 0
        self._answered = False
        self._stop = False
        self._deadline = math.inf
        self._lock = threading.Lock()
        self._crash: BaseException | None = None

    def execute(self) -> None:
        limits = httpx.Limits(max_connections=self.workers, max_keepalive_connections=self.workers)
        client = self.api._new_client(limits)
        try:
            # Every worker sends its own request object (built once, with its trace hook)
            # straight to the client's transport: one shared pool of `workers` connections,
            # without the per-request work of Client.send (auth, redirects, cookies, hooks).
            workers = [_SampleWorker(self.api) for _ in range(self.workers)]
            for worker in workers:
                request = client.build_request(
                    self.method,
                    self.path,
                    json=self.json,
                    headers=self.headers,
                    extensions={"trace": worker.trace},
                )
                worker.request = request
            transport = client._transport_for_url(request.url)
            threads = [
                threading.Thread(
                    target=self._worker, args=(transport, worker), name=f"deployready-sample-{i}"
                )
                for i, worker in enumerate(workers)
            ]
            start = time.perf_counter()
            if self.duration is not None:
                self._deadline = start + self.duration
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            self.duration_s = time.perf_counter() - start
        finally:
            client.close()
        for worker in workers:
            self.latencies_ms.extend(worker.latencies_ms)
            self.statuses.extend(worker.statuses)
        if self._crash is not None:
            raise self._crash

    def _take_ticket(self) -> bool:
        with self._lock:
            if self._stop or self._issued >= self.limit:
                return False
            if self._issued > 0 and time.perf_counter() >= self._deadline:
                return False
            self._issued += 1
            return True

    def _worker(self, transport: httpx.BaseTransport, worker: _SampleWorker) -> None:
        try:
            while self._take_ticket():
                self._one(transport, worker)
        except BaseException as exc:  # re-raised in the calling thread
            with self._lock:
                self._crash = exc
                self._stop = True

    def _one(self, transport: httpx.BaseTransport, worker: _SampleWorker) -> None:
        request = worker.request
        assert request is not None
        worker.started = worker.ended = 0.0
        deadline = self.api._request_deadline(self.api.timeout, request)
        before = time.perf_counter()
        failure: httpx.TransportError | None = None
        with deadline.watch():  # the request's reads wait no longer than its deadline
            try:
                response = transport.handle_request(request)
                try:
                    for _ in response.iter_raw():
                        pass
                finally:
                    response.close()
            except httpx.TransportError as exc:
                failure = exc
        if failure is not None:
            with self._lock:
                if self._answered:
                    self.count_transport_error(failure, deadline)
                else:
                    # Nothing answered yet: stop; execute() decides if the API is unreachable.
                    self.early_errors.append((failure, deadline))
                    if self.abort is None:
                        self.abort = (failure, request, deadline)
                    self._stop = True
            return
        done = time.perf_counter()
        latency_ms = ((worker.ended or done) - (worker.started or before)) * 1000
        if not self._answered:
            with self._lock:
                self._answered = True
        worker.statuses.append(response.status_code)
        worker.latencies_ms.append(latency_ms)

    def count_transport_error(self, exc: httpx.TransportError, deadline: Deadline) -> None:
        if not is_connect_failure(exc) and (
            deadline.expired or isinstance(exc, httpx.TimeoutException)
        ):
            reason = f"timed out after {fmt_seconds(deadline.seconds)} s"
        else:
            reason = transport_reason(exc, deadline.seconds)
        self.transport_errors[reason] = self.transport_errors.get(reason, 0) + 1


def sample(
    api: HttpTarget,
    method: str,
    path: str,
    *,
    n: int | None,
    concurrency: int,
    duration: float | None,
    json: Any,
    headers: Mapping[str, str] | None,
    expect_status: int | Container[int],
) -> SampleResult:
    """Run one latency sample against ``api`` (the arguments of :meth:`Api.sample`).

    Example::

        sample(api, "GET", "/", n=100, concurrency=10, duration=None, json=None,
               headers=None, expect_status=range(200, 400)).p95_ms
    """
    if n is None and duration is None:
        raise ValueError("sample() needs n (number of requests) and/or duration (seconds)")
    if n is not None and not 1 <= n <= MAX_SAMPLE_REQUESTS:
        raise ValueError(f"n must be between 1 and {MAX_SAMPLE_REQUESTS}, got {n}")
    if duration is not None and duration <= 0:
        raise ValueError(f"duration must be positive, got {duration}")
    if not 1 <= concurrency <= MAX_SAMPLE_CONCURRENCY:
        raise ValueError(
            f"concurrency must be between 1 and {MAX_SAMPLE_CONCURRENCY}, got {concurrency}"
        )
    expected: Container[int] = (expect_status,) if isinstance(expect_status, int) else expect_status
    limit = n if n is not None else MAX_SAMPLE_REQUESTS
    workers = min(concurrency, limit)
    method = method.upper()

    probe = api._get_client().build_request(method, path)
    key = origin(probe.url)
    api._failures.check(key)

    run = _SampleRun(api, method, path, json, headers, limit, duration, workers)
    run.execute()
    if run.abort is not None:
        exc, request, deadline = run.abort
        if not run.statuses:
            raise api._failed(exc, request, key, deadline) from None
        for early, early_deadline in run.early_errors:
            run.count_transport_error(early, early_deadline)
    api._succeeded(key)
    return SampleResult.from_measurements(
        method=method,
        path=path,
        concurrency=workers,
        latencies_ms=run.latencies_ms,
        statuses=run.statuses,
        transport_errors=run.transport_errors,
        duration_s=run.duration_s,
        expect_status=expected,
    )
