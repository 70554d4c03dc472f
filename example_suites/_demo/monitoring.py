"""The demo's monitoring: a real Prometheus scraping the demo API, and Alertmanager.

Debian's ``prometheus`` and ``prometheus-alertmanager`` binaries, on 127.0.0.1, with the
application repository's ``config/prometheus/prometheus.yml`` (written per run by
:func:`prometheus_yml`, with this run's ports) and ``alert_rules.yml``, and
``config/alertmanager/alertmanager.yml``. Scrapes and rule evaluations every second.

Example::

    problem = monitoring_problem()  # '' when both binaries are installed
    yml = prometheus_yml(api_port=8000, prometheus_port=9090, alertmanager_port=9093)
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "ALERTMANAGER",
    "BROKEN_ALERT",
    "PROMETHEUS",
    "RULES",
    "MonitoringError",
    "alertmanager_argv",
    "monitoring_problem",
    "prometheus_argv",
    "prometheus_yml",
    "wait_alertmanager",
    "wait_prometheus",
]

HOST = "127.0.0.1"
PROMETHEUS = "/usr/bin/prometheus"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
#: The alerting rules of ``config/prometheus/alert_rules.yml``.
RULES = ("ApiDown", "HighErrorRate", "HighLatency", "TlsCertificateExpiringSoon")
#: The critical alert the ``--broken`` stack fires (its certificate expires in 5 days).
BROKEN_ALERT = "TlsCertificateExpiringSoon"
WAIT_TIMEOUT_S = 60.0


class MonitoringError(RuntimeError):
    """Prometheus or Alertmanager did not become ready; the message is one line."""


def _binary(default: str) -> str | None:
    """``default`` when it exists, else the same name on PATH."""
    return default if Path(default).is_file() else shutil.which(Path(default).name)


def monitoring_problem() -> str:
    """Why Prometheus and Alertmanager cannot run here ('' when they can)."""
    missing = [b for b in (PROMETHEUS, ALERTMANAGER) if _binary(b) is None]
    if missing:
        names = " and ".join(Path(b).name for b in missing)
        return f"{names} not installed (make bootstrap installs them)"
    return ""


def prometheus_yml(*, api_port: int, prometheus_port: int, alertmanager_port: int) -> str:
    """This run's ``config/prometheus/prometheus.yml``: the API and Prometheus, every second."""
    return f"""\
# Prometheus for the marketplace API: scrape and evaluate every second.
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - alert_rules.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['{HOST}:{alertmanager_port}']
scrape_configs:
  - job_name: api
    metrics_path: /metrics
    static_configs:
      - targets: ['{HOST}:{api_port}']
  - job_name: prometheus
    static_configs:
      - targets: ['{HOST}:{prometheus_port}']
"""


def prometheus_argv(repo: Path, datadir: Path, port: int) -> list[str]:
    """Command line of Prometheus with the repository's configuration."""
    binary = _binary(PROMETHEUS) or PROMETHEUS
    return [
        binary,
        f"--config.file={repo / 'config' / 'prometheus' / 'prometheus.yml'}",
        f"--storage.tsdb.path={datadir}",
        f"--web.listen-address={HOST}:{port}",
        "--rules.alert.resend-delay=1s",  # alerts reach Alertmanager within a second
    ]


def alertmanager_argv(repo: Path, datadir: Path, port: int) -> list[str]:
    """Command line of Alertmanager: no cluster gossip, storage in ``datadir``."""
    binary = _binary(ALERTMANAGER) or ALERTMANAGER
    return [
        binary,
        f"--config.file={repo / 'config' / 'alertmanager' / 'alertmanager.yml'}",
        f"--storage.path={datadir}",
        f"--web.listen-address={HOST}:{port}",
        "--cluster.listen-address=",
    ]


def _get(client: httpx.Client, url: str, **params: str) -> Any:
    try:
        response = client.get(url, params=params)
        return response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None


def _until(what: str, check: Callable[[], bool], alive: Callable[[], bool], log: Path) -> None:
    deadline = time.monotonic() + WAIT_TIMEOUT_S
    while not check():
        if not alive():
            raise MonitoringError(f"{what}: the process exited ({_tail(log)!r})")
        if time.monotonic() > deadline:
            raise MonitoringError(f"{what}: not within {WAIT_TIMEOUT_S:g} s ({_tail(log)!r})")
        time.sleep(0.2)


def _tail(log: Path) -> str:
    try:
        return " ".join(log.read_text(errors="replace")[-300:].split())
    except OSError:
        return ""


def wait_alertmanager(url: str, alive: Callable[[], bool], log: Path) -> None:
    """Until Alertmanager answers ``/-/ready``."""
    with httpx.Client(timeout=3) as client:

        def ready() -> bool:
            try:
                return client.get(f"{url}/-/ready").status_code == 200
            except httpx.HTTPError:
                return False

        _until(f"Alertmanager at {url} did not become ready", ready, alive, log)


def wait_prometheus(
    url: str,
    alive: Callable[[], bool],
    log: Path,
    *,
    api_since: float,
    firing: str | None = None,
    alertmanager_url: str | None = None,
) -> None:
    """Until the rules are loaded and the ``api`` target was scraped up after ``api_since``.

    With ``firing``, also until that alert fires in Prometheus (and is active in Alertmanager).
    """
    with httpx.Client(timeout=3) as client:

        def rules_loaded() -> bool:
            data = _get(client, f"{url}/api/v1/rules")
            groups = (data or {}).get("data", {}).get("groups", [])
            names = {rule.get("name") for group in groups for rule in group.get("rules", [])}
            return set(RULES) <= names

        def api_up() -> bool:
            data = _get(client, f"{url}/api/v1/targets", state="active")
            for target in (data or {}).get("data", {}).get("activeTargets", []):
                if target.get("labels", {}).get("job") == "api" and target.get("health") == "up":
                    scraped = str(target.get("lastScrape", ""))
                    return _rfc3339(scraped) > api_since
            return False

        def alert_firing() -> bool:
            data = _get(client, f"{url}/api/v1/alerts")
            alerts = (data or {}).get("data", {}).get("alerts", [])
            if not any(
                a.get("labels", {}).get("alertname") == firing and a.get("state") == "firing"
                for a in alerts
            ):
                return False
            if alertmanager_url is None:
                return True
            listed = _get(client, f"{alertmanager_url}/api/v2/alerts") or []
            return any(a.get("labels", {}).get("alertname") == firing for a in listed)

        _until(f"Prometheus at {url} did not load the alert rules", rules_loaded, alive, log)
        _until(f"Prometheus at {url} did not scrape the API", api_up, alive, log)
        if firing:
            _until(f"Prometheus at {url} did not fire {firing}", alert_firing, alive, log)


def _rfc3339(text: str) -> float:
    """Seconds since the epoch of Prometheus's ``2026-01-01T10:00:00.123456789+00:00``; 0 if not.

    Python before 3.11's fromisoformat cannot read nanoseconds: the fraction is cut to micro.
    """
    match = re.fullmatch(r"([^.]+?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text.strip())
    if match is None:
        return 0.0
    head, frac, zone = match.groups()
    zone = "+00:00" if zone == "Z" else zone
    try:
        return datetime.fromisoformat(f"{head}.{(frac or '0')[:6].ljust(6, '0')}{zone}").timestamp()
    except ValueError:
        return 0.0
