"""pytest-deployready benchmarks (issue 6): prints a table and writes bench/RESULTS.md.

Every figure is a ratio against a reference measured in the same run, alternating the two
sides run by run, since the machine is noisy; each is the median of several runs with the
min-max beside it. Nothing here is a test: ``make bench`` runs it, ``make test`` does not.

1. Record rendering: the 5,000-check mixed suite, pytest-html's self-contained report against
   the deployment record's own page (``--deploy-html``), load and first frame in headless
   Chromium; and a 50,000-check record.
2. Overhead: the same suite with the plugin and the JSON record, against ``-p no:deployready``;
   and the plugin's import cost in an unrelated run. 2d: the same for 5,000 trivial checks.
3. Fail-fast: 50 ``db`` checks against a database that accepts TCP and never answers.
4. Sampler: ``Api.sample`` against wrk at the same concurrency on a 20 ms endpoint.
5. Parallel: 500 checks with real PostgreSQL, Redis and HTTP round-trips, ``-n 2`` vs serial.

Usage: ``.venv/bin/python bench/run.py [--runs 5] [--only 1,2,3,4,5]``
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from browser import Browser  # noqa: E402
from suite import (  # noqa: E402
    write_failfast_suite,
    write_io_suite,
    write_mixed_suite,
    write_trivial_suite,
    write_unrelated_suite,
)

PYTEST = str(Path(sys.executable).parent / "pytest")
WORK = BENCH / ".work"
CONNECT_S = 2.0
SAMPLE_MS = 20
SAMPLE_CONCURRENCY = 10
SAMPLE_SECONDS = 3


@dataclass
class Figure:
    """One line of the results table."""

    number: str
    name: str
    compared: str
    values: list[float]
    unit: str
    bar: str
    met: bool | None
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    def fmt(self, v: float) -> str:
        return f"{v:.3f}" if self.unit in ("x", "") else f"{v:.1f}"

    def row(self) -> list[str]:
        span = f"{self.fmt(min(self.values))}-{self.fmt(max(self.values))}" if self.values else "-"
        met = {True: "yes", False: "NO", None: "-"}[self.met]
        return [
            self.number,
            self.name,
            f"{self.fmt(self.median)} {self.unit}".strip(),
            span,
            str(len(self.values)),
            self.bar,
            met,
        ]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "DEPLOYREADY_ENV")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users run with cached bytecode
    return env


LAST_CPU = [0.0]  # user+sys seconds of the last pytest_run's process


def pytest_run(cwd: Path, *args: str, timeout: float = 600) -> tuple[float, int, str]:
    """Run pytest in ``cwd``: (wall seconds, exit code, output tail); CPU time in LAST_CPU."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [PYTEST, *args],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU[0] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, proc.returncode, (proc.stdout + proc.stderr)[-3000:]


#: figures 2 to 2d: the suite without the plugin, and with it writing a JSON record
PLAIN_ARGS = ("-q", "-p", "no:deployready")


def plugin_args(record: str) -> tuple[str, ...]:
    return ("-q", "--deploy-continue", "--deploy-record", record)


def plugin_run(suite: Path, expect: str = "deployready verdict") -> float:
    """One run of ``suite`` with the plugin and a JSON record: its wall time (CPU time in
    LAST_CPU). A run whose output lacks ``expect`` (no verdict, another verdict) is an error."""
    wall, _, tail = pytest_run(suite, *plugin_args("record.json"))
    if expect not in tail:
        raise RuntimeError(f"the plugin run did not print {expect!r}:\n{tail}")
    return wall


def ratios(a: list[float], b: list[float]) -> list[float]:
    return [x / y for x, y in zip(a, b, strict=True)]


def has_deploy_html() -> bool:
    out = subprocess.run(
        [PYTEST, "--help"], capture_output=True, text=True, cwd=tempfile.gettempdir(), check=False
    )
    return "--deploy-html" in out.stdout


# -- 1. record rendering -------------------------------------------------------------------

PH_ROWS = "document.querySelectorAll('#results-table tbody.results-table-row').length"
OUR_ROWS = "document.querySelectorAll('#checks .c').length"
FILTER_JS = """
new Promise(function (resolve) {
  var box = document.querySelector('#filter input[value=passed]');
  var t0 = performance.now();
  box.click();
  void document.body.offsetHeight;
  requestAnimationFrame(function () { setTimeout(function () {
    resolve(performance.now() - t0); }, 0); });
})
"""


def figure_rendering(runs: int) -> list[Figure]:
    suite = write_mixed_suite(WORK / "mixed", n=5000)
    ph, ours, rec = suite / "pytest-html.html", suite / "record.html", suite / "record.json"
    args = ["--deploy-continue", "--deploy-record", rec.name, "--html", ph.name]
    args.append("--self-contained-html")
    if has_deploy_html():
        args += ["--deploy-html", ours.name]
    log("1: running the 5,000-check suite once with --html and the deployment record")
    _, code, tail = pytest_run(suite, "-q", *args)
    if not rec.exists() or not ph.exists():
        raise RuntimeError(f"suite run wrote no record/report (exit {code}):\n{tail}")
    from pytest_deployready._html_record import render_record_html

    record = json.loads(rec.read_text())
    if not ours.exists():
        ours.write_text(render_record_html(record), encoding="utf-8")
    big_record = dict(record)
    big_record["checks"] = [
        {**c, "id": f"{c['id']}#{k}"} for k in range(10) for c in record["checks"]
    ]
    big = suite / "record-50000.html"
    t0 = time.perf_counter()
    big.write_text(render_record_html(big_record), encoding="utf-8")
    big_render_s = time.perf_counter() - t0
    ph_ms: list[float] = []
    our_ms: list[float] = []
    big_ms: list[float] = []
    filter_ms: list[float] = []
    rows: dict[str, int] = {}
    log(f"1: Chromium, {runs} alternating loads of each page")
    with Browser() as browser:
        browser.render_ms(ours, OUR_ROWS)  # warm the browser's own caches once, for both
        for _ in range(runs):
            ms, _, rows["pytest-html"] = browser.render_ms(ph, PH_ROWS)
            ph_ms.append(ms)
            ms, _, rows["ours"] = browser.render_ms(ours, OUR_ROWS)
            our_ms.append(ms)
        for _ in range(max(3, runs // 2)):
            ms, _, rows["50k"] = browser.render_ms(big, OUR_ROWS)
            big_ms.append(ms)
            filter_ms.append(browser.evaluate_ms(big, FILTER_JS))
    n = len(record["checks"])
    ok_rows = rows["pytest-html"] == n and rows["ours"] == n and rows["50k"] == 10 * n
    speedup = ratios(ph_ms, our_ms)
    sizes = f"{ph.stat().st_size / 1e6:.1f} MB vs {ours.stat().st_size / 1e6:.1f} MB"
    return [
        Figure(
            "1",
            "record page, 5,000 checks",
            "pytest-html self-contained report vs --deploy-html page of the same run: "
            "ms from navigation to the first frame after load in headless Chromium, ratio",
            speedup,
            "x",
            ">= 4x faster",
            min(speedup) >= 4 and ok_rows,
            f"pytest-html {statistics.median(ph_ms):.0f} ms ({min(ph_ms):.0f}-{max(ph_ms):.0f}),"
            f" ours {statistics.median(our_ms):.0f} ms ({min(our_ms):.0f}-{max(our_ms):.0f}); "
            f"rows rendered {rows['pytest-html']} / {rows['ours']} of {n}; sizes {sizes}",
        ),
        Figure(
            "1b",
            "record page, 50,000 checks opens",
            "load to first frame in headless Chromium (the 5,000 checks x 10)",
            big_ms,
            "ms",
            "opens (all rows)",
            rows["50k"] == 10 * n,
            f"{rows['50k']} rows; {big.stat().st_size / 1e6:.1f} MB; rendered by Python in "
            f"{big_render_s:.2f} s; hiding 'passed' with the filter: "
            f"{statistics.median(filter_ms):.0f} ms ({min(filter_ms):.0f}-{max(filter_ms):.0f})",
        ),
    ]


# -- 2. overhead ---------------------------------------------------------------------------


def figure_overhead(runs: int, import_runs: int) -> list[Figure]:
    """Figure 2: ``runs`` rounds of three runs, plain, the plugin and plain again, and 2a, 2b.

    The plugin run is always in the middle and the two plain runs swap places round by round,
    so figure 2 (the plugin against the first plain run) alternates its order, and figure 2a
    (the second plain run against the first) measures, in the same rounds, the ratio two
    identical runs give on this machine: the noise figure 2's spread should be read against.
    """
    suite = write_mixed_suite(WORK / "mixed-overhead", n=5000)
    plain: list[float] = []
    again: list[float] = []
    plugin: list[float] = []
    plain_cpu: list[float] = []
    plugin_cpu: list[float] = []
    log(f"2: 5,000 checks, {runs} rounds of plain, plugin and plain runs")

    def run_plain(walls: list[float], cpus: list[float]) -> Callable[[], None]:
        def step() -> None:
            wall, _, _ = pytest_run(suite, *PLAIN_ARGS)
            walls.append(wall)
            cpus.append(LAST_CPU[0])

        return step

    def run_plugin() -> None:
        plugin.append(plugin_run(suite))
        plugin_cpu.append(LAST_CPU[0])

    first, second = run_plain(plain, plain_cpu), run_plain(again, [])
    for i in range(runs):  # plain first in even rounds, last in odd ones
        for step in (first, run_plugin, second) if i % 2 == 0 else (second, run_plugin, first):
            step()
    over = ratios(plugin, plain)
    noise = ratios(again, plain)
    unrelated = write_unrelated_suite(WORK / "unrelated")
    with_plugin: list[float] = []
    without: list[float] = []
    log(f"2: unrelated one-test project, {import_runs} alternating runs")
    for _ in range(import_runs):
        pytest_run(unrelated, *PLAIN_ARGS)
        without.append(LAST_CPU[0])
        pytest_run(unrelated, "-q")
        with_plugin.append(LAST_CPU[0])
    diffs = [(a - b) * 1000 for a, b in zip(with_plugin, without, strict=True)]
    imports = [importtime_ms() for _ in range(import_runs)]
    cpu_ratio = ratios(plugin_cpu, plain_cpu)
    return [
        Figure(
            "2",
            "overhead, 5,000 checks",
            "wall time with plugin + JSON record vs plain pytest -p no:deployready, ratio per "
            "round (plain first in even rounds, the plugin first in odd ones), runs = rounds",
            over,
            "x",
            "<= 1.10x",
            statistics.median(over) <= 1.10,
            f"plain {statistics.median(plain):.2f} s ({min(plain):.2f}-{max(plain):.2f}), "
            f"plugin {statistics.median(plugin):.2f} s ({min(plugin):.2f}-{max(plugin):.2f}); "
            f"CPU time (user+sys) ratio {statistics.median(cpu_ratio):.3f} "
            f"({min(cpu_ratio):.3f}-{max(cpu_ratio):.3f})",
        ),
        Figure(
            "2a",
            "noise: two plain runs, 5,000 checks",
            "wall time of the second plain run of each round vs the first (an A/A comparison "
            "in figure 2's rounds): the ratio identical runs give on this machine",
            noise,
            "x",
            "- (figure 2's noise)",
            None,
            f"second plain {statistics.median(again):.2f} s "
            f"({min(again):.2f}-{max(again):.2f}); read figure 2's median and spread against it",
        ),
        Figure(
            "2b",
            "plugin import cost, unrelated run",
            "python -X importtime: cumulative import time of pytest_deployready._plugin and "
            ".fixtures (both imported in every run where the plugin is installed), after "
            "pytest and the other installed plugins",
            imports,
            "ms",
            "<= 50 ms",
            statistics.median(imports) <= 50,
            "whole-run CPU time (user+sys) of a one-test project, plugin installed minus "
            f"-p no:deployready: {statistics.median(diffs):.0f} ms "
            f"({min(diffs):.0f} to {max(diffs):.0f})",
        ),
    ]


_IREFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def figure_trivial(runs: int) -> list[Figure]:
    """Figure 2d: 5,000 trivial checks (a ``phase`` marker, all passing), plugin and JSON
    record against ``-p no:deployready``, in ``runs`` pairs alternating which side runs first.

    The suite issue 11's bar names: no failures, so pytest's failure summary (whose scan over
    every report moves the mixed suite's figure with the heap's layout) plays no part.
    """
    suite = write_trivial_suite(WORK / "trivial", n=5000)
    plain: list[float] = []
    plugin: list[float] = []
    log(f"2d: 5,000 trivial checks, {runs} alternating pairs")

    def run_plain() -> None:
        plain.append(pytest_run(suite, *PLAIN_ARGS)[0])

    def run_plugin() -> None:
        plugin.append(plugin_run(suite, "deployready verdict: GO"))

    for i in range(runs):  # plain first in even pairs, the plugin first in odd ones
        for step in (run_plain, run_plugin) if i % 2 == 0 else (run_plugin, run_plain):
            step()
    over = ratios(plugin, plain)
    return [
        Figure(
            "2d",
            "overhead, 5,000 trivial checks",
            "wall time with plugin + JSON record vs plain pytest -p no:deployready, 5,000 "
            "passing checks with a phase marker only, pairs alternating which side runs first",
            over,
            "x",
            "<= 1.10x",
            statistics.median(over) <= 1.10,
            f"plain {statistics.median(plain):.2f} s ({min(plain):.2f}-{max(plain):.2f}), "
            f"plugin {statistics.median(plugin):.2f} s ({min(plugin):.2f}-{max(plugin):.2f})",
        )
    ]


def figure_instructions() -> list[Figure]:
    """Figure 2c: figure 2's two runs counted in instructions under valgrind (cachegrind).

    Deterministic where wall time on a shared machine is not: the plugin's own work, without
    the memory effects (a bigger heap for the garbage collector to walk) that figure 2 sees.
    Both runs go at once (one per CPU); each takes a few minutes.
    """
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise RuntimeError("valgrind not installed (bench/setup.sh installs it)")
    suite = write_mixed_suite(WORK / "mixed-overhead", n=5000)
    log("2c: the 5,000 checks under valgrind's cachegrind, plain and with the plugin at once")
    sides = {"plain": PLAIN_ARGS, "plugin": plugin_args("record-2c.json")}
    procs = {
        name: subprocess.Popen(
            [
                valgrind,
                "--tool=cachegrind",
                "--cache-sim=no",
                f"--cachegrind-out-file={WORK / f'cachegrind-{name}.out'}",
                sys.executable,
                "-m",
                "pytest",
                *args,
            ],
            cwd=suite,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in sides.items()
    }
    counts: dict[str, int] = {}
    for name, proc in procs.items():
        _, err = proc.communicate(timeout=3600)
        found = _IREFS.findall(err)
        if not found:
            raise RuntimeError(f"2c: no instruction count from valgrind ({name}):\n{err[-500:]}")
        counts[name] = int(found[-1].replace(",", ""))
    ratio = counts["plugin"] / counts["plain"]
    return [
        Figure(
            "2c",
            "overhead in instructions, 5,000 checks",
            "instructions executed (valgrind --tool=cachegrind), figure 2's suite with the "
            "plugin and the JSON record vs -p no:deployready, one run each: the plugin's work "
            "without the machine's noise (and without memory effects, which figure 2 includes)",
            [ratio],
            "x",
            "- (figure 2 is the bar)",
            None,
            f"plain {counts['plain'] / 1e9:.2f} G, plugin {counts['plugin'] / 1e9:.2f} G "
            "instructions",
        )
    ]


def importtime_ms() -> float:
    """Import time (ms) of the plugin and its fixtures once pytest and its plugins are in."""
    modules = ("pytest_deployready._plugin", "pytest_deployready._fixtures")
    code = "import pytest, pytest_html, pytest_metadata.plugin, xdist.plugin; " + "; ".join(
        f"import {m}" for m in modules
    )
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env=clean_env(),
    )
    total = 0.0
    for line in proc.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] in modules:
            total += int(parts[1]) / 1000
    return total


# -- 3. fail-fast --------------------------------------------------------------------------


def figure_failfast(runs: int) -> list[Figure]:
    costs: list[float] = []
    attempts: list[int] = []
    refs: list[float] = []
    log(f"3: 50 checks on an unreachable database, {runs} runs")
    reference = WORK / "failfast-ref"
    reference.mkdir(parents=True, exist_ok=True)
    (reference / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    (reference / "test_ref.py").write_text(
        "import pytest\n\n\n@pytest.mark.phase('pre')\n@pytest.mark.parametrize('i', range(50))\n"
        "def test_db_check(i: int) -> None:\n    assert i >= 0\n"
    )
    from tests.servers.silent import silent_server

    with silent_server() as silent:
        url = f"postgresql://app:secret@127.0.0.1:{silent.port}/shop"
        suite = write_failfast_suite(WORK / "failfast", url, n=50, connect_s=CONNECT_S)
        for _ in range(runs):
            ref, _, _ = pytest_run(reference, "-q", "--deploy-phase", "pre")
            before = silent.connections
            wall, _, tail = pytest_run(suite, "-q", "--deploy-phase", "pre")
            if "50 error" not in tail:
                raise RuntimeError(f"expected 50 errors:\n{tail}")
            attempts.append(silent.connections - before)
            refs.append(ref)
            costs.append(wall - ref)
    bar = CONNECT_S + 1
    return [
        Figure(
            "3",
            "fail-fast, 50 checks, DB unreachable",
            f"wall time of 50 db checks against a silent port (connect timeout {CONNECT_S:g} s) "
            "minus 50 plain checks (same plugin, same phase), seconds",
            costs,
            "s",
            f"<= {bar:g} s (timeout + 1 s)",
            max(costs) <= bar,
            f"connections the silent server saw per run: {attempts}; reference run "
            f"{statistics.median(refs):.2f} s",
        )
    ]


# -- 4. sampler vs wrk ---------------------------------------------------------------------


@contextlib.contextmanager
def http_server() -> Iterator[str]:
    """bench/http_server.py (known service time) in its own process: yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, str(BENCH / "http_server.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=clean_env(),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError("the benchmark HTTP server did not start")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def run_wrk(url: str) -> dict[str, float]:
    proc = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(SAMPLE_CONCURRENCY),
            "-d",
            f"{SAMPLE_SECONDS}s",
            "-s",
            str(BENCH / "wrk_percentiles.lua"),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=SAMPLE_SECONDS + 60,
        check=True,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("JSON "):
            result: dict[str, float] = json.loads(line[5:])
            return result
    raise RuntimeError(f"no percentiles from wrk:\n{proc.stdout}")


def figure_sampler(runs: int) -> list[Figure]:
    from pytest_deployready.http import Api

    p50r: list[float] = []
    p95r: list[float] = []
    added: list[float] = []
    lines = []
    log(f"4: Api.sample vs wrk, c={SAMPLE_CONCURRENCY}, {SAMPLE_MS} ms endpoint, {runs} rounds")
    with http_server() as base:
        path = f"/slow?ms={SAMPLE_MS}&key=bench"
        api = Api(base, timeout=10)
        api.sample("GET", path, n=50, concurrency=SAMPLE_CONCURRENCY)  # warm-up
        run_wrk(base + path)
        for _ in range(runs):
            w = run_wrk(base + path)
            s = api.sample("GET", path, duration=SAMPLE_SECONDS, concurrency=SAMPLE_CONCURRENCY)
            p50r.append(s.p50_ms / w["p50_ms"])
            p95r.append(s.p95_ms / w["p95_ms"])
            added.append(s.p50_ms - w["p50_ms"])
            lines.append(
                f"wrk p50 {w['p50_ms']:.2f} p95 {w['p95_ms']:.2f} ({int(w['requests'])} req, "
                f"{int(w['errors'])} err) / sample p50 {s.p50_ms:.2f} p95 {s.p95_ms:.2f} "
                f"({s.count} req, {s.errors} err)"
            )
        api.close()

    def within(values: list[float]) -> bool:
        return 0.9 <= statistics.median(values) <= 1.1

    detail = "; ".join(lines)
    return [
        Figure(
            "4",
            "sampler p50 vs wrk",
            f"Api.sample vs wrk, both c={SAMPLE_CONCURRENCY} for {SAMPLE_SECONDS} s on a "
            f"{SAMPLE_MS} ms endpoint (separate server process), p50 ratio",
            p50r,
            "x",
            "0.90-1.10",
            within(p50r),
            detail,
        ),
        Figure(
            "4b",
            "sampler p95 vs wrk",
            "p95 ratio, same rounds",
            p95r,
            "x",
            "0.90-1.10",
            within(p95r),
        ),
        Figure(
            "4c",
            "sampler added latency p50",
            "Api.sample p50 minus wrk p50, same rounds",
            added,
            "ms",
            "<= 2 ms",
            statistics.median(added) <= 2,
        ),
    ]


# -- 5. parallel ---------------------------------------------------------------------------


@contextlib.contextmanager
def services() -> Iterator[tuple[str, str]]:
    """Real PostgreSQL and Redis, started by the test suite's own helpers."""
    from tests.servers.postgres import pg_server
    from tests.servers.redis import RedisServerFactory

    start_pg = contextlib.contextmanager(pg_server.__wrapped__)  # type: ignore[attr-defined]
    redis_bin = shutil.which("redis-server")
    if redis_bin is None:
        raise RuntimeError("redis-server not found: run `make bootstrap`")
    with tempfile.TemporaryDirectory(prefix="deployready-bench-redis-") as tmp, start_pg() as pg:
        factory = RedisServerFactory(redis_bin, Path(tmp))
        try:
            server = factory("bench", password="bench-redis-pass", appendonly=False)
            yield pg.url, server.url
        finally:
            factory.stop_all()


def figure_parallel(runs: int) -> list[Figure]:
    serial: list[float] = []
    parallel: list[float] = []
    counts: list[int] = []
    log(f"5: 500 I/O-bound checks, serial vs -n 2, {runs} alternating runs")
    with services() as (pg_url, redis_url), http_server() as base:
        suite = write_io_suite(WORK / "io", pg_url, redis_url, base, n=500)
        for _ in range(runs):
            wall, code, tail = pytest_run(suite, "-q", "--deploy-record", "serial.json")
            if code != 0:
                raise RuntimeError(f"serial I/O run failed (exit {code}):\n{tail}")
            serial.append(wall)
            wall, code, tail = pytest_run(
                suite, "-q", "-n", "2", "--deploy-record", "parallel.json"
            )
            if code != 0:
                raise RuntimeError(f"-n 2 I/O run failed (exit {code}):\n{tail}")
            parallel.append(wall)
            counts.append(len(json.loads((suite / "parallel.json").read_text())["checks"]))
    speed = ratios(serial, parallel)
    return [
        Figure(
            "5",
            "parallel, 500 I/O-bound checks",
            "wall time serial vs -n 2 (pg_sleep 15 ms + Redis PING + HTTP 15 ms per check), "
            "speed-up",
            speed,
            "x",
            ">= 1.7x",
            statistics.median(speed) >= 1.7 and all(c == 500 for c in counts),
            f"serial {statistics.median(serial):.2f} s ({min(serial):.2f}-{max(serial):.2f}), "
            f"-n 2 {statistics.median(parallel):.2f} s ({min(parallel):.2f}-{max(parallel):.2f});"
            f" checks in the one -n 2 record: {counts}",
        )
    ]


# -- report --------------------------------------------------------------------------------


def versions() -> dict[str, str]:
    def v(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    def tool(*argv: str) -> str:
        """The first line a tool prints about its version ("not installed" without it)."""
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        except OSError:
            return "not installed"
        lines = (out.stdout + out.stderr).strip().splitlines()
        return lines[0] if lines else "?"

    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs ({cpu}), {mem}",
        "os": platform.platform(),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "pytest": v("pytest"),
        "pytest-deployready": v("pytest-deployready"),
        "pytest-html": v("pytest-html"),
        "pytest-xdist": v("pytest-xdist"),
        "httpx": v("httpx"),
        "psycopg": v("psycopg"),
        "redis-py": v("redis"),
        "chromium": tool("chromium", "--version"),
        "wrk": tool("wrk", "-v"),
    }


def table(figures: list[Figure]) -> str:
    head = ["#", "figure", "median", "min-max", "runs", "bar", "met"]
    rows = [head, ["---"] * len(head), *(f.row() for f in figures)]
    return "\n".join("| " + " | ".join(r) + " |" for r in rows)


def _previous_results() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The last ``RESULTS.md``: each figure's run date, table row and comparison line."""
    path = BENCH / "RESULTS.md"
    if not path.exists():
        return {}, {}, {}
    date, dates, rows, compared = "?", {}, {}, {}
    carried = "- figures carried over from the run of "
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("- date: "):
            date = line.removeprefix("- date: ")
        elif line.startswith(carried):
            when, numbers = line.removeprefix(carried).rsplit(": ", 1)
            dates.update((n.strip(), when) for n in numbers.split(","))
        elif line.startswith("| ") and not line.startswith(("| #", "| ---")):
            rows[line.split("|")[1].strip()] = line
        elif line.startswith("- **"):
            compared[line.removeprefix("- **").split(" ", 1)[0]] = line
    return {n: dates.get(n, date) for n in rows}, rows, compared


def write_results(
    info: dict[str, str], figures: list[Figure], started: float, *, keep_others: bool = False
) -> str:
    """Write ``RESULTS.md``; with ``keep_others`` (a partial run, ``--only``), the figures not
    run this time keep their lines from the previous file, and the header says from when."""
    rows = {f.number: "| " + " | ".join(f.row()) + " |" for f in figures}
    compared = {
        f.number: f"- **{f.number} {f.name}**: {f.compared}. {f.detail}".rstrip() for f in figures
    }
    carried: list[str] = []
    if keep_others:
        dates, old_rows, old_compared = _previous_results()
        carried = [n for n in old_rows if n not in rows]
        rows = {**{n: old_rows[n] for n in carried}, **rows}
        compared = {**{n: old_compared[n] for n in carried if n in old_compared}, **compared}
        by_date: dict[str, list[str]] = {}
        for n in carried:
            by_date.setdefault(dates[n], []).append(n)
        for when, numbers in by_date.items():
            info = {**info, f"figures carried over from the run of {when}": ", ".join(numbers)}
    order = sorted(rows, key=lambda n: (int("".join(c for c in n if c.isdigit()) or 0), n))
    head = ["#", "figure", "median", "min-max", "runs", "bar", "met"]
    table_text = "\n".join(
        ["| " + " | ".join(head) + " |", "| " + " | ".join(["---"] * len(head)) + " |"]
        + [rows[n] for n in order]
    )
    lines = [
        "# Benchmark results",
        "",
        "Generated by `make bench` (`bench/run.py`); do not edit by hand. Each figure is a ratio",
        "or difference against a reference measured in the same run, alternating run by run;",
        "median of the runs, min-max beside it.",
        "",
        "## Machine and versions",
        "",
        *(f"- {k}: {v}" for k, v in info.items()),
        f"- bench wall time: {time.monotonic() - started:.0f} s",
        "",
        "## Figures",
        "",
        table_text,
        "",
        "## What was compared",
        "",
        *(compared[n] for n in order if n in compared),
        "",
    ]
    text = "\n".join(lines)
    (BENCH / "RESULTS.md").write_text(text, encoding="utf-8")
    return text


def main() -> int:
    """Run the selected figures, print the table, write bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (heavy ones: 3)")
    parser.add_argument("--only", default="1,2,2c,2d,3,4,5", help="comma list of figures to run")
    parser.add_argument(
        "--pairs",
        type=int,
        default=15,
        help="rounds (plain, plugin, plain) for figures 2 and 2a, pairs for 2d (at least 7)",
    )
    opts = parser.parse_args()
    started = time.monotonic()
    info = versions()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    heavy = max(2, min(3, opts.runs))
    steps: dict[str, Callable[[], list[Figure]]] = {
        "1": lambda: figure_rendering(opts.runs),
        "2": lambda: figure_overhead(max(7, opts.pairs), 3 * opts.runs),
        "2c": figure_instructions,
        "2d": lambda: figure_trivial(max(7, opts.pairs)),
        "3": lambda: figure_failfast(heavy),
        "4": lambda: figure_sampler(opts.runs),
        "5": lambda: figure_parallel(heavy),
    }
    figures: list[Figure] = []
    for key in [k.strip() for k in opts.only.split(",") if k.strip()]:
        try:
            figures.extend(steps[key]())
        except Exception as exc:  # one broken figure must not hide the others
            log(f"figure {key} failed: {exc}")
            figures.append(Figure(key, f"figure {key}", str(exc), [], "", "-", False))
        print(table(figures), flush=True)
    partial = {k.strip() for k in opts.only.split(",")} != set(steps)
    text = write_results(info, figures, started, keep_others=partial)
    print()
    print(text)
    missed = [f.number for f in figures if f.met is False]
    if missed:
        print(f"bars not met: {', '.join(missed)} (see above)")
    return 1 if any(not f.values for f in figures) else 0


if __name__ == "__main__":
    raise SystemExit(main())
