"""What changed between two deployment records: ``deployready diff BEFORE.json AFTER.json``.

Checks are matched by id. A check's measurements are matched by threshold name and, when
a check measured the same name several times, by their order.

Example::

    before = load_baseline(Path("records/1.4.0.json")).record
    after = load_baseline(Path("records/1.5.0.json")).record
    print(format_diff(diff_records(before, after)))
    # verdict: GO -> NO_GO
    # outcomes changed (1):
    #   tests/test_api.py::test_health: passed -> failed
    # reruns changed (1):
    #   tests/test_api.py::test_orders: 0 -> 2 failed attempts before the last
    # measurements changed (1):
    #   tests/test_api.py::test_latency api_p95_ms: 180 -> 231.4 (+51.4, +28.6%)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pytest_deployready._baseline import compare
from pytest_deployready._formatting import failed_attempts
from pytest_deployready._formatting import format_number as _fmt

__all__ = [
    "MeasurementChange",
    "OutcomeChange",
    "RecordDiff",
    "RerunChange",
    "diff_records",
    "format_diff",
]


@dataclass(frozen=True)
class OutcomeChange:
    """A check present in both records whose outcome differs."""

    check: str
    before: str
    after: str


@dataclass(frozen=True)
class RerunChange:
    """A check present in both records rerun after a different number of failed attempts
    (a rerun plugin such as pytest-rerunfailures; 0 when the record has no ``reruns``)."""

    check: str
    before: int
    after: int


@dataclass(frozen=True)
class MeasurementChange:
    """One threshold measurement of a check that differs between the records.

    ``before``/``after`` are ``None`` when that record has no finite value (not measured, or
    not a finite number); ``change`` and ``change_pct`` are ``None`` unless both are numbers
    (``change_pct`` also when ``before`` is 0).
    """

    check: str
    name: str
    before: float | None
    after: float | None
    change: float | None
    change_pct: float | None
    rule_before: str | None = None
    rule_after: str | None = None
    passed_before: bool | None = None
    passed_after: bool | None = None


@dataclass
class RecordDiff:
    """The differences between two records (``before`` and ``after``).

    Example::

        d = diff_records(before, after)
        d.verdict_changed, d.added, [c.check for c in d.outcomes]
    """

    verdict_before: str | None
    verdict_after: str | None
    started_before: str | None = None
    started_after: str | None = None
    commit_before: str | None = None
    commit_after: str | None = None
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    outcomes: list[OutcomeChange] = field(default_factory=list)
    reruns: list[RerunChange] = field(default_factory=list)
    measurements: list[MeasurementChange] = field(default_factory=list)

    @property
    def verdict_changed(self) -> bool:
        return self.verdict_before != self.verdict_after

    @property
    def changed(self) -> bool:
        """True when anything differs (verdict, checks, outcomes, reruns or measurements)."""
        return bool(
            self.verdict_changed
            or self.added
            or self.removed
            or self.outcomes
            or self.reruns
            or self.measurements
        )


def diff_records(before: dict[str, Any], after: dict[str, Any]) -> RecordDiff:
    """Compare two records (dicts as read from JSON, validated by ``load_baseline``).

    Example::

        d = diff_records(json.loads(a.read_text()), json.loads(b.read_text()))
    """
    checks_before = _checks(before)
    checks_after = _checks(after)
    d = RecordDiff(
        verdict_before=_str(before.get("verdict")),
        verdict_after=_str(after.get("verdict")),
        started_before=_str(before.get("started_at")),
        started_after=_str(after.get("started_at")),
        commit_before=_commit(before),
        commit_after=_commit(after),
        added=[cid for cid in checks_after if cid not in checks_before],
        removed=[cid for cid in checks_before if cid not in checks_after],
    )
    for cid, new in checks_after.items():
        old = checks_before.get(cid)
        if old is None:
            continue
        old_outcome, new_outcome = str(old.get("outcome")), str(new.get("outcome"))
        if old_outcome != new_outcome:
            d.outcomes.append(OutcomeChange(cid, old_outcome, new_outcome))
        old_reruns, new_reruns = _reruns(old), _reruns(new)
        if old_reruns != new_reruns:  # a check that turned flaky, or stopped being so
            d.reruns.append(RerunChange(cid, old_reruns, new_reruns))
        d.measurements.extend(_measurement_changes(cid, old, new))
    return d


def _measurement_changes(
    cid: str, old: dict[str, Any], new: dict[str, Any]
) -> list[MeasurementChange]:
    old_entries = _entries(old)
    new_entries = _entries(new)
    keys = list(new_entries) + [k for k in old_entries if k not in new_entries]
    changes: list[MeasurementChange] = []
    for key in keys:
        a, b = old_entries.get(key), new_entries.get(key)
        va, vb = _measured(a), _measured(b)
        ra, rb = _rule(a), _rule(b)
        pa, pb = _passed(a), _passed(b)
        if a is not None and b is not None and (va, ra, pa) == (vb, rb, pb):
            continue
        change = pct = None
        if va is not None and vb is not None:
            cmp = compare(vb, va)
            change, pct = cmp["change"], cmp["change_pct"]
        changes.append(MeasurementChange(cid, key[0], va, vb, change, pct, ra, rb, pa, pb))
    return changes


def format_diff(d: RecordDiff) -> str:
    """The diff as text, one line per change, grouped; ``no changes`` when there are none.

    Example::

        print(format_diff(diff_records(before, after)))
    """
    lines = [
        _run_line("before", d.verdict_before, d.started_before, d.commit_before),
        _run_line("after", d.verdict_after, d.started_after, d.commit_after),
    ]
    if not d.changed:
        lines.append("no changes")
        return "\n".join(lines)
    if d.verdict_changed:
        lines.append(f"verdict: {d.verdict_before} -> {d.verdict_after}")
    if d.added:
        lines.append(f"checks added ({len(d.added)}):")
        lines += [f"  + {cid}" for cid in d.added]
    if d.removed:
        lines.append(f"checks removed ({len(d.removed)}):")
        lines += [f"  - {cid}" for cid in d.removed]
    if d.outcomes:
        lines.append(f"outcomes changed ({len(d.outcomes)}):")
        lines += [f"  {o.check}: {o.before} -> {o.after}" for o in d.outcomes]
    if d.reruns:
        lines.append(f"reruns changed ({len(d.reruns)}):")
        lines += [
            f"  {r.check}: {r.before} -> {failed_attempts(r.after)} before the last"
            for r in d.reruns
        ]
    if d.measurements:
        lines.append(f"measurements changed ({len(d.measurements)}):")
        lines += [f"  {_measurement_line(m)}" for m in d.measurements]
    return "\n".join(lines)


def _run_line(label: str, verdict: str | None, started: str | None, commit: str | None) -> str:
    parts = [f"verdict {verdict or '?'}"]
    if started:
        parts.append(f"started {started}")
    if commit:
        parts.append(f"commit {commit[:7]}")
    return f"{label + ':':<8}{', '.join(parts)}"


def _measurement_line(m: MeasurementChange) -> str:
    before = "not measured" if m.before is None else _fmt(m.before)
    after = "not measured" if m.after is None else _fmt(m.after)
    text = f"{m.check} {m.name}: {before} -> {after}"
    if m.change is not None:
        delta = [_signed(m.change)]
        if m.change_pct is not None:
            delta.append(f"{_signed(m.change_pct, pct=True)}%")
        text += f" ({', '.join(delta)})"
    notes = []
    if m.rule_before and m.rule_after and m.rule_before != m.rule_after:
        notes.append(f"rule {m.rule_before} -> {m.rule_after}")
    if m.passed_before is not None and m.passed_after is not None:
        if m.passed_before and not m.passed_after:
            notes.append(f"now fails {m.rule_after}")
        elif m.passed_after and not m.passed_before:
            notes.append(f"now passes {m.rule_after}")
    if notes:
        text += f" [{'; '.join(notes)}]"
    return text


def _signed(value: float, *, pct: bool = False) -> str:
    text = f"{value:.1f}" if pct else _fmt(value)
    return text if text.startswith("-") else f"+{text}"


# -- reading records ---------------------------------------------------------------------------


def _checks(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    checks = record.get("checks")
    if not isinstance(checks, list):
        return {}
    return {c["id"]: c for c in checks if isinstance(c, dict) and isinstance(c.get("id"), str)}


def _entries(check: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    """A check's threshold entries keyed by (name, n-th measurement of that name)."""
    entries: dict[tuple[str, int], dict[str, Any]] = {}
    seen: dict[str, int] = {}
    thresholds = check.get("thresholds")
    for entry in thresholds if isinstance(thresholds, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            n = seen.get(entry["name"], 0)
            seen[entry["name"]] = n + 1
            entries[entry["name"], n] = entry
    return entries


def _measured(entry: dict[str, Any] | None) -> float | None:
    value = None if entry is None else entry.get("measured")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _rule(entry: dict[str, Any] | None) -> str | None:
    return None if entry is None else _str(entry.get("rule"))


def _passed(entry: dict[str, Any] | None) -> bool | None:
    value = None if entry is None else entry.get("passed")
    return value if isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _reruns(check: dict[str, Any]) -> int:
    """The failed attempts a rerun plugin ran the check again after (absent: none)."""
    value = check.get("reruns")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _commit(record: dict[str, Any]) -> str | None:
    metadata = record.get("metadata")
    return _str(metadata.get("git_commit")) if isinstance(metadata, dict) else None
