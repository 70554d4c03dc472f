"""A real Prometheus and Alertmanager on 127.0.0.1 (Debian's packages) for the metrics tests.

``prometheus_stack`` (session) starts a tiny exposition server whose counters grow on every
scrape (10 requests and 1 error per scrape, 20 latency observations of which three are slow),
Prometheus scraping it every second with two alerting rules (``AlwaysFiring``, critical, and
``NeverFiring``), and Alertmanager receiving Prometheus's alerts. Everything listens on
127.0.0.1 only (Alertmanager's cluster listener is off) and stops at the end of the session.
"""

from __future__ import annotations

import contextlib
import http.server
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

__all__ = ["PrometheusStack", "prometheus_stack"]

HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class PrometheusStack:
    prometheus_url: str
    alertmanager_url: str
    exporter_url: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class _Exporter(http.server.BaseHTTPRequestHandler):
    scrapes = 0
    lock = threading.Lock()

    def do_GET(self) -> None:
        with self.lock:
            type(self).scrapes += 1
            n = type(self).scrapes
        ok, errors = 10 * n, n
        fast, slow = 17 * n, 3 * n  # 0.05 s and 0.4 s observations: p95 in the slow bucket
        lines = [
            "# TYPE app_requests_total counter",
            f'app_requests_total{{status="200"}} {ok}',
            f'app_requests_total{{status="500"}} {errors}',
            "# TYPE app_request_duration_seconds histogram",
            f'app_request_duration_seconds_bucket{{le="0.1"}} {fast}',
            f'app_request_duration_seconds_bucket{{le="0.5"}} {fast + slow}',
            f'app_request_duration_seconds_bucket{{le="+Inf"}} {fast + slow}',
            f"app_request_duration_seconds_sum {0.05 * fast + 0.4 * slow}",
            f"app_request_duration_seconds_count {fast + slow}",
            "",
        ]
        body = "\n".join(lines).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{url} did not become ready: {log.read_text()[-600:]}")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def prometheus_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusStack]:
    """Prometheus (scraping a growing exporter, two alert rules) and Alertmanager."""
    for binary in ("prometheus", "prometheus-alertmanager"):
        if shutil.which(binary) is None:
            pytest.fail(f"{binary} not found: make bootstrap installs Debian's {binary} package")
    directory = tmp_path_factory.mktemp("prometheus")
    exporter = http.server.ThreadingHTTPServer((HOST, 0), _Exporter)
    threading.Thread(target=exporter.serve_forever, daemon=True).start()
    exporter_port = exporter.server_address[1]
    prom_port, am_port = _free_port(), _free_port()
    (directory / "rules.yml").write_text(
        "groups:\n- name: demo\n  interval: 1s\n  rules:\n"
        "  - alert: AlwaysFiring\n    expr: vector(1)\n    labels: {severity: critical}\n"
        "    annotations: {summary: 'always on, for tests'}\n"
        "  - alert: NeverFiring\n    expr: vector(0) > 1\n    labels: {severity: warning}\n"
    )
    (directory / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: [{directory / 'rules.yml'}]\n"
        "alerting:\n  alertmanagers:\n  - static_configs:\n"
        f"    - targets: ['{HOST}:{am_port}']\n"
        "scrape_configs:\n- job_name: app\n  static_configs:\n"
        f"  - targets: ['{HOST}:{exporter_port}']\n"
    )
    (directory / "alertmanager.yml").write_text(
        "route: {receiver: 'null', group_wait: 0s, group_interval: 1s, repeat_interval: 1h}\n"
        "receivers:\n- name: 'null'\n"
    )
    procs: list[subprocess.Popen[bytes]] = []
    logs: list[Any] = []
    try:
        for name, argv in (
            (
                "alertmanager",
                [
                    "prometheus-alertmanager",
                    f"--config.file={directory / 'alertmanager.yml'}",
                    f"--storage.path={directory / 'am-data'}",
                    f"--web.listen-address={HOST}:{am_port}",
                    "--cluster.listen-address=",
                ],
            ),
            (
                "prometheus",
                [
                    "prometheus",
                    f"--config.file={directory / 'prometheus.yml'}",
                    f"--storage.tsdb.path={directory / 'data'}",
                    f"--web.listen-address={HOST}:{prom_port}",
                    # alerts fired before the notifier found Alertmanager go again in 1 s, not 1 min
                    "--rules.alert.resend-delay=1s",
                ],
            ),
        ):
            log = directory / f"{name}.log"
            logs.append(log.open("wb"))
            procs.append(subprocess.Popen(argv, stdout=logs[-1], stderr=subprocess.STDOUT))
            port = am_port if name == "alertmanager" else prom_port
            _wait(f"http://{HOST}:{port}/-/ready", procs[-1], log)
        prom = f"http://{HOST}:{prom_port}"
        deadline = time.monotonic() + START_TIMEOUT_S  # five scrapes: rates over 5s exist
        while True:
            result = httpx.get(
                f"{prom}/api/v1/query", params={"query": "count_over_time(up[1m])"}, timeout=5
            ).json()["data"]["result"]
            if result and float(result[0]["value"][1]) >= 5:
                break
            if time.monotonic() > deadline:
                pytest.fail("Prometheus did not scrape the exporter five times in time")
            time.sleep(0.5)
        yield PrometheusStack(
            prometheus_url=prom,
            alertmanager_url=f"http://{HOST}:{am_port}",
            exporter_url=f"http://{HOST}:{exporter_port}/metrics",
        )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(15)
        for handle in logs:
            handle.close()
        exporter.shutdown()
        exporter.server_close()
