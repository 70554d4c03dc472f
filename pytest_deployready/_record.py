"""The deployment record: per-check results folded from reports, the record assembled, its files.

Schema ``deployready.record/1`` is shipped as ``pytest_deployready/schema/record-1.schema.json``
and documented in ``docs/record.md``. The files are written atomically (temporary files in the
same directory, then renamed together: ``outputs.write_files``), so a reader never sees half a
record, nor a JSON record and an HTML page of different runs.

Example::

    results = CheckResults()
    for report in reports:
        results.add_report(report)
    write_record(Path("record.json"), {"schema": SCHEMA, ...})
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_deployready._outputs import write_files
from pytest_deployready._verdict import Decision, Outcome, is_blocking
from pytest_deployready._vocabulary import OUTCOME_RANK

if TYPE_CHECKING:
    from pytest_deployready._attest import Attestations
    from pytest_deployready._redact import Redactor

__all__ = [
    "SCHEMA",
    "SCHEMA_PATH",
    "CheckResult",
    "CheckResults",
    "attestation_entries",
    "build_record",
    "dumps_record",
    "gc_paused",
    "signoff_rows",
    "target_summary",
    "write_html",
    "write_outputs",
    "write_record",
    "write_record_files",
    "write_text",
]

SCHEMA = "deployready.record/1"
SCHEMA_PATH = Path(__file__).parent / "schema" / "record-1.schema.json"

# Worse outcomes win when a check's setup, call and teardown disagree.
_RANK = OUTCOME_RANK


@dataclass(slots=True)
class CheckResult:
    """One check in the record, built up from its setup, call and teardown reports.

    Slots, and no list or dict of its own until a report brings one: a run of thousands of
    checks keeps one small object per check (fewer objects for the garbage collector to visit).
    """

    id: str
    title: str = ""
    section: str = ""
    phase: str | None = None
    #: the check's phases (a tuple as collected, a list when it came from an xdist worker)
    phases: Sequence[str] = ()
    severity: str = "major"
    rollback_trigger: bool = False
    rollback_reason: str = ""
    manual_role: str | None = None
    outcome: Outcome = Outcome.PASSED
    message: str = ""
    duration_s: float = 0.0
    #: what the last report carried (``None``: nothing yet); shared with that report's data,
    #: which ``DeployRun.annotate`` built for it alone, so a check keeps no copies of its own
    thresholds: list[dict[str, Any]] | None = None
    evidence: dict[str, Any] | None = None
    target: str | None = None
    waiver: dict[str, Any] | None = None
    attestation: dict[str, Any] | None = None
    attestation_rejected: list[str] | None = None
    finished: bool = False  # its teardown report arrived
    #: attempts a rerun plugin (pytest-rerunfailures) ran again after a failure
    reruns: int = 0
    #: its body or a fixture of it was executed (not skipped, blocked or waived before it ran)
    ran: bool = False
    #: the data of the last report folded in (a teardown often shares its call's)
    last_info: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def blocking(self) -> bool:
        return is_blocking(self.severity, self.outcome)

    def _set_outcome(self, outcome: Outcome, message: str) -> None:
        if _RANK[outcome] >= _RANK[self.outcome]:
            if outcome is not self.outcome or not self.message:
                self.message = message
            self.outcome = outcome

    def as_dict(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "title": self.title,
            "section": self.section,
            "phase": self.phase,
            "phases": list(self.phases),
            "severity": self.severity,
            "outcome": str(self.outcome),
            "blocking": self.blocking,
            "rollback_trigger": self.rollback_trigger,
            "rollback_reason": self.rollback_reason or None,
            "manual": self.manual_role,
            "target": self.target,
            "waiver": self.waiver,
            "attestation": self.attestation,
            "attestation_rejected": list(self.attestation_rejected or ()),
            "duration_s": round(self.duration_s, 6),
            "message": self.message,
            "thresholds": self.thresholds if self.thresholds is not None else [],
            "evidence": self.evidence if self.evidence is not None else {},
        }
        if self.reruns:  # only then: most runs rerun nothing
            data["reruns"] = self.reruns
        return data


def _short_message(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # skip: (path, lineno, reason)
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        message = str(crash.message).strip()
        # Our own failures (thresholds, unreachable targets) read best without the class path.
        if message.startswith("pytest_deployready."):
            message = message.split(": ", 1)[-1]
        return message.removeprefix("Failed: ")  # pytest.fail's prefix: not part of the message
    text = str(longrepr).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("E "):
            return line[1:].strip().removeprefix("Failed: ")
    return lines[-1].removeprefix("Failed: ") if lines else ""


class CheckResults:
    """All checks of a run, in the order their first report arrived."""

    def __init__(self) -> None:
        self._checks: dict[str, CheckResult] = {}
        self._unannotated: list[pytest.TestReport] = []
        #: what is known of a check seen only in an unannotated report (phase, severity, ...)
        self.unknown_check: Callable[[str], Mapping[str, Any]] = lambda nodeid: {}

    def __iter__(self) -> Iterator[CheckResult]:
        return iter(self._checks.values())

    def __len__(self) -> int:
        return len(self._checks)

    def get(self, nodeid: str) -> CheckResult | None:
        return self._checks.get(nodeid)

    def add_report(self, report: pytest.TestReport, *, ours: bool = False) -> CheckResult | None:
        """Fold one setup/call/teardown report into its check.

        A report without our annotation never counts as a pass. When it failed and belongs to
        a check already seen, or ``ours`` says the run is a deployment run, it is an ``error``
        of that check: pytest-xdist's controller writes such a report (``when="???"``) for a
        check that crashed its worker. Otherwise it is kept aside (:meth:`adopt_unannotated`
        folds it once the run turns out to be a deployment run) and ``None`` is returned.
        """
        info: dict[str, Any] | None = getattr(report, "deployready", None)
        if info is None:
            return self._add_unannotated(report, ours=ours)
        nodeid = report.nodeid  # a property that builds the string on every read
        check = self._checks.get(nodeid)
        if check is None:
            check = self._new_check(nodeid, info)
        check.duration_s += report.duration
        # The outcome as a string: report.passed/.failed/.skipped are properties comparing it.
        # str, not pytest's Literal: a rerun plugin sets "rerun" on a failed attempt's report
        result: str = report.outcome
        when = report.when
        if result == "rerun":  # a failed attempt that a rerun plugin runs again: not the end
            check.reruns += 1
            check.finished = False
        elif when == "teardown":
            check.finished = True
        if result == "failed" or (result == "passed" and when == "call"):
            check.ran = True
        if info is not check.last_info:  # a report sharing the previous one's data adds nothing
            check.last_info = info
            # Only what the report carries replaces what the check has (a setup report has no
            # measurements yet). Shared, not copied: the report's data was built for it alone.
            if "thresholds" in info:
                check.thresholds = info["thresholds"]
            if "evidence" in info:
                check.evidence = info["evidence"]
            if "waiver" in info:
                check.waiver = info["waiver"]
            if "attestation" in info:
                check.attestation = info["attestation"]
            rejected = info.get("attestation_rejected")
            if rejected or check.attestation_rejected:
                check.attestation_rejected = list(rejected or ())
        forced = info.get("outcome")
        if forced:  # decided by the plugin: blocked, pending, waived
            check._set_outcome(Outcome(forced), info.get("message") or _short_message(report))
        elif result == "passed":
            if when == "call" and hasattr(report, "wasxfail"):
                check._set_outcome(Outcome.FAILED, "unexpectedly passed (strict xfail)")
        elif result == "skipped":
            reason = _short_message(report)
            if hasattr(report, "wasxfail"):
                reason = f"expected failure: {report.wasxfail}".rstrip(": ")
            check._set_outcome(Outcome.SKIPPED, reason)
        elif result == "failed":
            in_call = when == "call" and not getattr(report, "deployready_error", False)
            outcome = Outcome.FAILED if in_call else Outcome.ERROR
            check._set_outcome(outcome, _short_message(report))
        return check

    def _new_check(self, nodeid: str, info: Mapping[str, Any]) -> CheckResult:
        check = CheckResult(
            id=nodeid,
            title=info.get("title", ""),
            section=info.get("section", ""),
            phase=info.get("phase"),
            phases=info.get("phases", ()),
            severity=info.get("severity", "major"),
            rollback_trigger=bool(info.get("rollback_trigger")),
            rollback_reason=str(info.get("rollback_reason") or ""),
            manual_role=info.get("manual_role"),
            target=info.get("target"),
        )
        self._checks[nodeid] = check
        return check

    def _add_unannotated(self, report: pytest.TestReport, *, ours: bool) -> CheckResult | None:
        if not report.failed:
            return None  # someone else's test, or nothing we could count as a pass
        nodeid = report.nodeid
        check = self._checks.get(nodeid)
        if check is None:
            if not ours:
                self._unannotated.append(report)
                return None
            check = self._new_check(nodeid, self.unknown_check(nodeid))
        check.duration_s += report.duration
        check.ran = True
        check.finished = True  # nothing more will come: its worker is gone
        check._set_outcome(Outcome.ERROR, _short_message(report))
        return check

    def adopt_unannotated(self) -> list[CheckResult]:
        """Fold the failed reports kept aside before the run was known to be a deployment run."""
        kept, self._unannotated = self._unannotated, []
        return [c for r in kept if (c := self._add_unannotated(r, ours=True)) is not None]

    def add_collect_error(self, report: pytest.CollectReport) -> CheckResult:
        """A file or class that failed to collect is an ``error`` check of its own."""
        check = CheckResult(id=report.nodeid or "<collection>", title="collection error", ran=True)
        check._set_outcome(Outcome.ERROR, _short_message(report))
        self._checks[check.id] = check
        return check

    def mark_unfinished(self, message: str = "interrupted before the check finished") -> None:
        """A check that started but whose teardown report never arrived is an ``error``."""
        for check in self._checks.values():
            if not check.finished and check.outcome is not Outcome.ERROR:
                check.outcome = Outcome.ERROR
                check.message = message
                check.ran = True

    def counts(self, checks: Iterable[CheckResult] | None = None) -> Counter[str]:
        return Counter(str(c.outcome) for c in (self if checks is None else checks))


def build_record(
    *,
    title: str,
    decision: Decision,
    exit_code: int,
    complete: bool,
    environment: str | None,
    started_at: str,
    finished_at: str | None,
    phase_order: list[str],
    selected_phases: list[str],
    continue_after_blocking: bool,
    results: CheckResults,
    deselected: Mapping[str, int],
    metadata: dict[str, Any],
    config_file: str | None,
    config_digest: str,
    baseline: dict[str, Any] | None,
    attestations: list[dict[str, Any]],
    attestation_file: dict[str, Any] | None,
    waivers: list[dict[str, Any]],
    signoff: list[dict[str, Any]],
    targets: dict[str, dict[str, int]],
) -> dict[str, Any]:
    """The deployment record (schema ``deployready.record/1``) as a JSON-ready dict.

    Example: ``build_record(title="Release 4.2", decision=decide(...), ...)["verdict"]``
    """
    checks = list(results)
    by_phase: dict[str, dict[str, int]] = {}
    for c in checks:
        row = by_phase.setdefault(c.phase or "unphased", {})
        row[str(c.outcome)] = row.get(str(c.outcome), 0) + 1
    return {
        "schema": SCHEMA,
        "title": title,
        "verdict": str(decision.verdict),
        "verdict_reasons": decision.reasons,
        "exit_code": exit_code,
        "complete": complete,
        "environment": environment,
        "started_at": started_at,
        "finished_at": finished_at,
        "phases": {
            "order": phase_order,
            "selected": selected_phases,
            "continue_after_blocking": continue_after_blocking,
            "summary": by_phase,
        },
        "summary": {
            "total": len(checks),
            **{str(o): 0 for o in Outcome},
            **results.counts(),
            "blocking": sum(1 for c in checks if c.blocking),
            "deselected": sum(deselected.values()),
            "deselected_by_reason": dict(deselected),
        },
        "metadata": metadata,
        "config": {"path": config_file, "digest": config_digest},
        "baseline": baseline,
        "checks": [c.as_dict() for c in checks],
        "attestations": attestations,
        "attestation_file": attestation_file,
        "waivers": waivers,
        "signoff": signoff,
        "targets": targets,
    }


def signoff_rows(
    roles: Iterable[str], attestations: Attestations | None, commit: str | None
) -> list[dict[str, Any]]:
    """One row per configured sign-off role, filled from ``check = "signoff"`` attestations."""
    rows = []
    for role in roles:
        a, rejected = None, []
        if attestations is not None:
            match = attestations.signoff(role, commit)
            a, rejected = match.attestation, match.rejected
        rows.append(
            {
                "role": role,
                "signed": a is not None,
                "by": a.by if a else None,
                "at": a.at if a else None,
                "note": a.note if a else "",
                "rejected": rejected,
            }
        )
    return rows


def attestation_entries(
    attestations: Attestations | None,
    results: CheckResults,
    roles: Sequence[str],
    commit: str | None,
) -> list[dict[str, Any]]:
    """Every attestation read, whether it counted for this commit and matched a check."""
    if attestations is None:
        return []
    checks = [(c.id, c.title) for c in results]
    unmatched = attestations.unmatched(checks, roles)
    entries: list[dict[str, Any]] = []
    for index, a in enumerate(attestations.entries):
        entry = a.as_dict()
        entry["counts"] = a.applies_to_commit(commit)
        entry["matches"] = index not in unmatched
        if index in unmatched:
            entry["warning"] = unmatched[index]
        entries.append(entry)
    return entries


def target_summary(results: CheckResults) -> dict[str, dict[str, int]]:
    """Outcome counts per target, for checks that ran once per target."""
    summary: dict[str, dict[str, int]] = {}
    for c in results:
        if c.target is not None:
            row = summary.setdefault(c.target, {})
            row[str(c.outcome)] = row.get(str(c.outcome), 0) + 1
    return summary


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No garbage collection while the record is built, encoded and written.

    The record is thousands of new acyclic dicts and lists: a collection in between frees
    nothing, but the allocations can trigger a full one over every object of the run (a third
    of a second at 5,000 checks). Collections resume afterwards, as before.

    Example: ``with gc_paused(): text = dumps_record(record)``
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def dumps_record(record: dict[str, Any]) -> str:
    """The record as JSON text: one line per field, and one line per check.

    Readable in a diff and written by json's C encoder (``indent`` would use the slow
    Python one): 5,000 checks in milliseconds, not a second.
    """

    # One encoder for every check: json.dumps with options builds a new one per call.
    dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=str).encode

    fields = []
    for key, value in record.items():
        if key == "checks" and isinstance(value, list) and value:
            rows = ",\n".join(f"    {dumps(c)}" for c in value)
            fields.append(f"  {dumps(key)}: [\n{rows}\n  ]")
        else:
            fields.append(f"  {dumps(key)}: {dumps(value)}")
    return "{\n" + ",\n".join(fields) + "\n}\n"


def write_record(path: Path, record: dict[str, Any]) -> None:
    """Write ``record`` as JSON to ``path`` atomically (temp file + rename)."""
    write_text(path, dumps_record(record))


def write_text(path: Path, text: str) -> None:
    """Write an already rendered record (JSON text) to ``path`` atomically."""
    write_files({path: text})


def write_html(path: Path, record: dict[str, Any]) -> None:
    """Write the deployment record as a self-contained HTML page (``--deploy-html``)."""
    from pytest_deployready._html_record import render_record_html

    write_files({path: render_record_html(record)})


def write_record_files(
    record: dict[str, Any],
    text: str,
    *,
    json_path: Path | None,
    html_path: Path | None,
    extra: dict[Path, str] | None = None,
) -> None:
    """The JSON record (``text``) and its HTML page, both replaced or neither.

    Both are rendered and written to temporary files first, then renamed together with
    signals deferred (``outputs.write_files``): they always come from the same run.
    """
    files: dict[Path, str] = {}
    if json_path is not None:
        files[json_path] = text
    if html_path is not None:
        from pytest_deployready._html_record import render_record_html

        files[html_path] = render_record_html(record, text)  # embeds exactly the JSON written
    files.update(extra or {})  # the summary and the signature: of the same record
    write_files(files)


def write_outputs(
    record: dict[str, Any],
    redactor: Redactor,
    *,
    json_path: Path | None,
    html_path: Path | None,
    summary_path: Path | None = None,
    sign_key: Path | None = None,
) -> None:
    """The record, masked, as JSON, HTML page, Markdown summary and signature, written together.

    Example: ``write_outputs(record, Redactor.from_environ(), json_path=Path("r.json"),
    html_path=None)``
    """
    from pytest_deployready._redact import redact_record

    text, record = redact_record(redactor, dumps_record(record), record, dumps_record)
    extra: dict[Path, str] = {}
    if summary_path is not None:
        from pytest_deployready._summary import render_summary

        shown = json_path or html_path
        extra[summary_path] = render_summary(record, str(shown) if shown else None)
    if sign_key is not None and json_path is not None:
        from pytest_deployready._signing import envelope_path, sign_record

        envelope = sign_record(text, sign_key, json_path.name)
        extra[envelope_path(json_path)] = json.dumps(envelope, indent=2) + "\n"
    write_record_files(record, text, json_path=json_path, html_path=html_path, extra=extra)
