"""``deployready demo``: start the demo stack, run the example suites, write one combined record.

Example::

    from _demo.runner import run_demo
    exit_code = run_demo(output="deployready-demo", broken=False, pytest_args=[])

    from _demo.stack import DemoStack
    with DemoStack(broken=False) as stack:
        stack.env["API_BASE_URL"]
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import pytest_deployready
from _demo.stack import DemoError, DemoStack
from pytest_deployready._html_record import render_record_html
from pytest_deployready._redact import url_host
from pytest_deployready._rules import RuleError, parse_rule
from pytest_deployready._verdict import EXIT_CODES, Verdict
from pytest_deployready._vocabulary import OUTCOME_ORDER, VERDICT_ORDER

__all__ = [
    "BASELINE_ARGS",
    "DEMO_ERROR",
    "DemoStack",
    "SuiteResult",
    "combine_records",
    "find_suites",
    "needs_baseline",
    "run_demo",
]

#: What the stack exports only when the optional part runs: never taken from the caller's
#: environment (a stale PROMETHEUS_URL would point the suites at some other Prometheus).
OPTIONAL_ENV = ("PROMETHEUS_URL", "ALERTMANAGER_URL", "DEMO_HOST_IDENTITY", "DEMO_HOST_KNOWN_HOSTS")
#: Exit code when the demo stack could not start (no verdict was reached).
DEMO_ERROR = 3
USAGE_ERROR = 4  # nothing to run: a usage error, before any server is started
SUITE_TIMEOUT_S = 600.0
_WORST = list(VERDICT_ORDER)
_OUTCOMES = tuple(str(o) for o in OUTCOME_ORDER)
#: How the demo records a suite's baseline on the release before: its pre-phase checks that
#: measure one (the example suites name them ``*baseline*``).
BASELINE_ARGS = ("--deploy-phase", "pre", "-k", "baseline")


def _say(line: str) -> None:
    print(f"deployready demo: {line}", flush=True)


def default_suites_dir() -> Path:
    """``example_suites/`` next to the package in a source checkout.

    Example: ``default_suites_dir().name  # 'example_suites'``
    """
    return Path(__file__).resolve().parents[1]


def find_suites(suites_dir: Path) -> list[Path]:
    """Every ``suites_dir/*/`` with a ``deployready.toml``, sorted by name.

    Example: ``[p.name for p in find_suites(default_suites_dir())]``
    """
    if not suites_dir.is_dir():
        return []
    return sorted(p.parent for p in suites_dir.glob("*/deployready.toml") if p.parent.is_dir())


def needs_baseline(suite: Path) -> bool:
    """True when a rule in ``suite/deployready.toml`` (or an overlay) compares with a baseline.

    Example: ``needs_baseline(default_suites_dir() / "cache_layer_rollout")  # True``
    """
    try:
        data = tomllib.loads((suite / "deployready.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # the suite's own run reports the broken file
    tables = [data.get("thresholds")]
    envs = data.get("env")
    if isinstance(envs, dict):
        tables += [
            overlay.get("thresholds") for overlay in envs.values() if isinstance(overlay, dict)
        ]
    for table in tables:
        for rule in table.values() if isinstance(table, dict) else ():
            try:
                if parse_rule(rule).uses_baseline:
                    return True
            except RuleError:
                continue
    return False


@dataclass
class SuiteResult:
    """The outcome of one example suite's pytest run."""

    name: str
    exit_code: int
    record_path: Path
    report_path: Path
    record: dict[str, Any] | None = None
    baseline: SuiteResult | None = None
    note: str = ""
    duration_s: float = 0.0
    checks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        if self.record is None:
            return Verdict.NO_GO
        return Verdict(str(self.record.get("verdict", "NO_GO")))

    def counts(self) -> Counter[str]:
        return Counter(str(c.get("outcome")) for c in self.checks)

    def blocking_failures(self) -> list[dict[str, Any]]:
        return [
            c for c in self.checks if c.get("outcome") in ("failed", "error") and c.get("blocking")
        ]


def _worst(verdicts: list[Verdict]) -> Verdict:
    if not verdicts:
        return Verdict.NO_GO  # nothing ran: never a vacuous GO
    return max(verdicts, key=_WORST.index)


def _run_suite(
    suite: Path,
    target: Path,
    env: dict[str, str],
    pytest_args: list[str],
    *,
    baseline: SuiteResult | None = None,
) -> SuiteResult:
    target.mkdir(parents=True, exist_ok=True)
    record_path = target / "record.json"
    report_path = target / "report.html"
    record_path.unlink(missing_ok=True)
    # Every phase the suite has, in order (no --deploy-phase: a phase without checks in this
    # suite is not "selected"). The suite's demo attestations stand in for the people who
    # would confirm its manual items in a real release.
    attest = suite / "demo-attestations.toml"
    argv = [
        sys.executable, "-m", "pytest", str(suite), f"--rootdir={suite}",
        "-p", "no:cacheprovider",
        # OPTION=VALUE: a separate value outside the suite would be read as a test path first
        f"--deploy-record={record_path}", f"--html={report_path}", "--self-contained-html",
        *([f"--deploy-attest={attest}"] if attest.is_file() else []),
        *([f"--deploy-baseline={baseline.record_path}"]
          if baseline is not None and baseline.record is not None else []),
        *pytest_args,
    ]  # fmt: skip
    started = time.monotonic()
    log_path = target / "pytest.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            argv, cwd=suite, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            code = proc.wait(SUITE_TIMEOUT_S)
        except BaseException:  # timeout or Ctrl-C: do not leave pytest running
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            raise
    result = SuiteResult(suite.name, code, record_path, report_path, baseline=baseline)
    result.duration_s = time.monotonic() - started
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        result.record = record if isinstance(record, dict) else None
    except (OSError, ValueError):
        result.record = None
    if result.record is None:
        last = [ln for ln in log_path.read_text(errors="replace").splitlines() if ln.strip()]
        result.note = f"no record written (pytest exit {code}): {last[-1] if last else ''}"
    else:
        result.checks = [c for c in result.record.get("checks", []) if isinstance(c, dict)]
    return result


def _rel(path: Path, base: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(base))
    return str(path)


def _sum_counts(dicts: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {}
    for d in dicts:
        for key, value in d.items():
            if isinstance(value, bool):
                continue
            if isinstance(value, int):
                total[key] = int(total.get(key, 0)) + value
            elif isinstance(value, dict):
                total[key] = _sum_counts([total.get(key, {}), value])
    return total


def combine_records(
    results: list[SuiteResult],
    out: Path,
    *,
    started_at: str,
    broken: bool,
    compose: bool,
    parts: dict[str, bool] | None = None,
) -> dict[str, Any]:
    """One ``deployready.record/1`` record over all suites: worst verdict, prefixed check ids.

    Example::

        record = combine_records(results, Path("out"), started_at=now, broken=False, compose=True)
        record["suites"]["api"]["verdict"]  # 'GO'
    """
    verdict = _worst([r.verdict for r in results])
    records = [r.record for r in results if r.record is not None]
    checks: list[dict[str, Any]] = []
    for result in results:
        for check in result.checks:
            checks.append({**check, "id": f"{result.name}/{check.get('id', '')}"})
    order: list[str] = []
    selected: list[str] = []
    for rec in records:
        phases = rec.get("phases") or {}
        for name in phases.get("order", []):
            if name not in order:
                order.append(name)
        for name in phases.get("selected", []):
            if name not in selected:
                selected.append(name)
    summary = _sum_counts([rec.get("summary") or {} for rec in records])
    counts = Counter(str(c.get("outcome")) for c in checks)
    summary.update({k: counts.get(k, 0) for k in _OUTCOMES})
    summary["total"] = len(checks)
    summary["blocking"] = sum(1 for c in checks if c.get("blocking"))
    summary.setdefault("deselected", 0)
    targets: dict[str, Any] = {}
    for result in results:
        if result.record is not None:
            for key, value in (result.record.get("metadata") or {}).get("targets", {}).items():
                targets[f"{result.name}.{key}"] = value
    first_meta: dict[str, Any] = (records[0].get("metadata") or {}) if records else {}
    digest = hashlib.sha256(
        "".join(str((r.get("metadata") or {}).get("config_digest", "")) for r in records).encode()
    ).hexdigest()
    reasons = [f"{r.name}: {r.verdict}" + (f" ({r.note})" if r.note else "") for r in results]
    return {
        "schema": "deployready.record/1",
        "title": "deployready demo" + (" --broken" if broken else ""),
        "verdict": str(verdict),
        "verdict_reasons": reasons,
        "exit_code": EXIT_CODES[verdict],
        "complete": bool(results)
        and all(r.record is not None and r.record.get("complete", False) for r in results),
        "environment": "demo",
        "started_at": started_at,
        "finished_at": datetime.now(UTC).isoformat(),
        "phases": {
            "order": order,
            "selected": selected,
            "summary": _sum_counts(
                [(rec.get("phases") or {}).get("summary") or {} for rec in records]
            ),
        },
        "summary": summary,
        "metadata": {
            "git_commit": first_meta.get("git_commit"),
            "git_branch": first_meta.get("git_branch"),
            "run_by": first_meta.get("run_by") or getpass.getuser(),
            "host": platform.node(),
            "plugin_version": pytest_deployready.__version__,
            "python": platform.python_version(),
            "config_file": None,
            "config_digest": digest,
            "targets": targets,
        },
        "checks": checks,
        "attestations": [a for rec in records for a in rec.get("attestations", [])],
        "waivers": [w for rec in records for w in rec.get("waivers", [])],
        "suites": {
            r.name: {
                "verdict": str(r.verdict),
                "exit_code": r.exit_code,
                "record": _rel(r.record_path, out),
                "report": _rel(r.report_path, out),
                "counts": dict(r.counts()),
                "note": r.note,
                "baseline": None
                if r.baseline is None
                else {
                    "verdict": str(r.baseline.verdict),
                    "record": _rel(r.baseline.record_path, out),
                    "counts": dict(r.baseline.counts()),
                    "note": r.baseline.note,
                },
            }
            for r in results
        },
        "demo": {"broken": broken, "compose": compose, **(parts or {})},
    }


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """SIGTERM behaves like Ctrl-C (KeyboardInterrupt), so ``finally`` blocks stop the stack."""

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        previous = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _serve(stack: DemoStack) -> None:
    """Print the exports and keep the stack up until Ctrl-C; a previous release deploys on Enter."""
    _print_exports(stack.env)
    with contextlib.suppress(KeyboardInterrupt):
        if stack.previous:
            _say(
                "serving the release before the one under test; press Enter to deploy it, "
                "Ctrl-C to stop"
            )
            if sys.stdin is not None and sys.stdin.readline():
                before = dict(stack.env)
                stack.deploy()
                _print_exports({k: v for k, v in stack.env.items() if before.get(k) != v})
            else:
                _say("no standard input: the release before stays up until Ctrl-C")
        _say("serving; press Ctrl-C to stop")
        while True:
            time.sleep(3600)


def _print_exports(env: dict[str, str]) -> None:
    for name in sorted(env):
        print(f"export {name}={shlex.quote(env[name])}", flush=True)


def _say_result(result: SuiteResult, verdict: str, where: str) -> None:
    """``  suite: VERDICT (counts; duration) — where — note``, one line per suite run."""
    counts = ", ".join(f"{n} {k}" for k, n in sorted(result.counts().items()))
    _say(
        f"  {result.name}: {verdict} ({counts or 'no checks'}; {result.duration_s:.1f} s) — "
        + where
        + (f" — {result.note}" if result.note else "")
    )


def _record_baselines(
    suites: list[Path], out: Path, env: dict[str, str]
) -> dict[Path, SuiteResult]:
    """Run each suite's baseline checks on the release before; their records are baselines."""
    if suites:
        _say(
            "the release before is up (no cache, unoptimised queries, migration 0012 not "
            f"applied): recording baselines with `pytest {' '.join(BASELINE_ARGS)}`"
        )
    results: dict[Path, SuiteResult] = {}
    for suite in suites:
        result = _run_suite(suite, out / suite.name / "baseline", env, list(BASELINE_ARGS))
        results[suite] = result
        _say_result(result, f"baseline {result.verdict}", f"record: {result.record_path}")
    return results


def run_demo(
    output: str,
    broken: bool,
    pytest_args: list[str],
    *,
    serve: bool = False,
    previous: bool = False,
    suites_dir: Path | None = None,
    compose: bool | None = None,
) -> int:
    """Start the demo stack, run every example suite against it, write the combined record.

    Returns the verdict's exit code (0 GO / GO_WITH_WARNINGS, 1 NO_GO, 6 ROLLBACK), or
    :data:`DEMO_ERROR` when the stack could not start. ``serve=True`` only starts the stack,
    prints ``export`` lines and waits for Ctrl-C; with ``previous=True`` it serves the release
    before the one under test and deploys it when a line is read from standard input.

    Example::

        run_demo(output="out", broken=True, pytest_args=["-q"])  # 1 (NO_GO)
    """
    t0 = time.monotonic()
    out = Path(output).resolve()
    suites_root = suites_dir if suites_dir is not None else default_suites_dir()
    suites = [] if serve else find_suites(suites_root)
    baseline_suites = [suite for suite in suites if needs_baseline(suite)]
    if not serve and not suites:
        where = "does not exist" if not suites_root.is_dir() else "has no */deployready.toml"
        print(
            f"deployready demo: error: no example suites: {suites_root} {where} "
            "(they ship in a source checkout; use --serve to start only the stack)",
            file=sys.stderr,
        )
        return USAGE_ERROR
    started_at = datetime.now(UTC).isoformat()
    results: list[SuiteResult] = []
    compose_up = False
    parts: dict[str, bool] = {}
    try:
        with _interruptible():
            _say("starting the demo stack" + (" with injected faults (--broken)" if broken else ""))
            with DemoStack(
                broken=broken,
                compose=compose,
                say=_say,
                previous=bool(baseline_suites) or (serve and previous),
            ) as stack:
                compose_up = stack.compose_up
                if compose_up:
                    _say(f"compose: {stack.compose_note}; DEMO_COMPOSE=1")
                else:
                    _say(
                        f"compose: NOT started — {stack.compose_note}; DEMO_COMPOSE=0, "
                        "the suites skip their compose checks ('no Docker engine')"
                    )
                parts = stack.parts()
                for part, flag in (
                    ("Prometheus", "DEMO_PROMETHEUS=0, the suites skip their Prometheus checks"),
                    ("ssh", "DEMO_HOST_URL=local://"),
                ):
                    if not parts.get(part.lower()):
                        _say(f"{part}: NOT started — {stack.notes().get(part.lower())}; {flag}")
                _say(
                    f"stack ready in {time.monotonic() - t0:.1f} s: "
                    f"PostgreSQL {url_host(stack.env['DATABASE_URL'])}, "
                    f"Redis {url_host(stack.env['REDIS_URL'])}, API {stack.env['API_BASE_URL']}"
                )
                if serve:
                    _serve(stack)
                    return 0
                env = {
                    k: v
                    for k, v in os.environ.items()
                    if k not in ("JWT_SECRET", "DEMO_COMPOSE", *OPTIONAL_ENV)
                }
                baselines = _record_baselines(baseline_suites, out, {**env, **stack.env})
                if baseline_suites:
                    stack.deploy()
                env.update(stack.env)
                for suite in suites:
                    result = _run_suite(
                        suite, out / suite.name, env, pytest_args, baseline=baselines.get(suite)
                    )
                    results.append(result)
                    _say_result(result, str(result.verdict), f"report: {result.report_path}")
                _say("stopping the demo stack")
    except DemoError as exc:
        _say(f"error: {exc}")
        return DEMO_ERROR
    except KeyboardInterrupt:
        _say("interrupted; the demo stack was stopped")
        return 130
    record = combine_records(
        results, out, started_at=started_at, broken=broken, compose=compose_up, parts=parts
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / "record.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    (out / "report.html").write_text(render_record_html(record), encoding="utf-8")
    failures = [
        c for c in record["checks"] if c.get("outcome") in ("failed", "error") and c.get("blocking")
    ]
    if failures:
        _say(f"{len(failures)} blocking check(s) failed:")
        for check in failures:
            message = str(check.get("message", "")).splitlines()
            _say(f"  FAILED {check['id']}" + (f": {message[0][:160]}" if message else ""))
    _say(f"finished in {time.monotonic() - t0:.1f} s")
    verdict = Verdict(record["verdict"])
    print(
        f"deployready demo: verdict {verdict} — record: {out / 'record.json'} — "
        f"report: {out / 'report.html'}",
        flush=True,
    )
    return EXIT_CODES[verdict]
