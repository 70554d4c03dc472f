"""The run as a short Markdown summary for a ticket comment or ``$GITHUB_STEP_SUMMARY``.

``--deploy-summary PATH`` writes it: the verdict and why, the blocking checks, rollback
triggers that fired, warnings, pending manual items and the sign-off, then the name of the
full record. Each list shows at most ``max_items`` entries and says how many more the record
has, so the summary stays short on a run of thousands of checks.

Example::

    text = render_summary(record, record_name="record.json")
    Path(os.environ["GITHUB_STEP_SUMMARY"]).write_text(text)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_deployready._formatting import format_measured
from pytest_deployready._vocabulary import OUTCOME_ORDER

__all__ = ["MAX_ITEMS", "render_summary"]

#: Entries per list; the rest are counted ("… and 12 more in the record").
MAX_ITEMS = 10
#: Longest message shown per entry.
MESSAGE_CHARS = 200
_OUTCOMES = tuple(str(o) for o in OUTCOME_ORDER)
_ICON = {"GO": "✅", "GO_WITH_WARNINGS": "⚠️", "NO_GO": "⛔", "ROLLBACK": "⏪"}


def _md(text: object) -> str:
    """Text safe inside a Markdown line and table cell: one line, no table or HTML syntax."""
    line = " ".join(str("" if text is None else text).split())
    for ch in ("\\", "|", "<", ">", "*", "_", "`", "[", "]"):
        line = line.replace(ch, "\\" + ch)
    return line


def _first(text: object, limit: int = MESSAGE_CHARS) -> str:
    lines = str(text or "").strip().splitlines()
    line = lines[0] if lines else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _entry(c: Mapping[str, Any], *, reason: bool = False) -> str:
    title = _md(c.get("title") or c.get("id"))
    bits = [f"**{_md(c.get('outcome'))}**", title, f"(`{str(c.get('id')).replace('`', '')}`)"]
    if reason and c.get("rollback_reason"):
        bits.append(f"— trigger: {_md(c.get('rollback_reason'))}")
    failed = [t for t in c.get("thresholds") or [] if not t.get("passed")]
    if failed:
        t = failed[0]
        measured = format_measured(t.get("measured"), str(t.get("name")), str(t.get("rule")))
        bits.append(f"— {_md(t.get('name'))}: {_md(measured)}, required {_md(t.get('rule'))}")
    elif c.get("message"):
        bits.append(f"— {_md(_first(c.get('message')))}")
    return "- " + " ".join(bits)


def _section(title: str, entries: Sequence[str], out: list[str], max_items: int) -> None:
    if not entries:
        return
    out.append(f"\n### {title} ({len(entries)})\n")
    out.extend(entries[:max_items])
    if len(entries) > max_items:
        out.append(f"- … and {len(entries) - max_items} more in the record")


def render_summary(
    record: Mapping[str, Any], record_name: str | None = None, *, max_items: int = MAX_ITEMS
) -> str:
    """The Markdown summary of a deployment record.

    Example: ``render_summary(record, "record.json").splitlines()[0]``
    → ``'## ⛔ NO_GO — Release 4.2 readiness'``
    """
    verdict = str(record.get("verdict") or "unknown")
    title = _md(record.get("title") or "Deployment record")
    out = [f"## {_ICON.get(verdict, '')} {verdict} — {title}".replace("##  ", "## ")]
    meta: Mapping[str, Any] = record.get("metadata") or {}
    facts = [f"exit code {record.get('exit_code')}"]
    if not record.get("complete", True):
        facts.insert(0, "**incomplete run**")
    if record.get("environment"):
        facts.append(f"environment {_md(record.get('environment'))}")
    if meta.get("git_commit"):
        dirty = " with uncommitted changes" if meta.get("git_dirty") else ""
        facts.append(f"commit `{str(meta['git_commit'])[:12]}`{dirty}")
    if record.get("finished_at"):
        facts.append(f"finished {_md(record.get('finished_at'))}")
    out.append("")
    out.append(" · ".join(facts))
    reasons = [str(r) for r in record.get("verdict_reasons") or []]
    if reasons:
        out.append("")
        out.extend(f"- {_md(r)}" for r in reasons[:max_items])
    checks: list[Mapping[str, Any]] = [c for c in record.get("checks") or [] if c]
    by_phase: dict[str, Counter[str]] = {}
    for c in checks:
        by_phase.setdefault(str(c.get("phase") or "(no phase)"), Counter())[
            str(c.get("outcome"))
        ] += 1
    if by_phase:
        shown = [o for o in _OUTCOMES if any(row[o] for row in by_phase.values())]
        out.append("")
        out.append("| phase | " + " | ".join(shown) + " |")
        out.append("|---|" + "---:|" * len(shown))
        for phase, row in by_phase.items():
            out.append(f"| {_md(phase)} | " + " | ".join(str(row[o]) for o in shown) + " |")
    problem = ("failed", "error")
    triggers = [
        _entry(c, reason=True)
        for c in checks
        if c.get("rollback_trigger") and c.get("outcome") in problem
    ]
    blocking = [
        _entry(c)
        for c in checks
        if c.get("blocking") and c.get("outcome") in problem and not c.get("rollback_trigger")
    ]
    warnings = [_entry(c) for c in checks if not c.get("blocking") and c.get("outcome") in problem]
    pending_items = [_entry(c) for c in checks if c.get("outcome") == "pending"]
    _section("Rollback triggers fired", triggers, out, max_items)
    _section("Blocking", blocking, out, max_items)
    _section("Warnings", warnings, out, max_items)
    _section("Pending manual items", pending_items, out, max_items)
    pending = Counter(
        str(c.get("manual") or "someone") for c in checks if c.get("outcome") == "pending"
    )
    signoff = record.get("signoff") or []
    if pending or signoff:
        out.append("\n### Sign-off\n")
        if pending:
            who = ", ".join(f"{_md(role)} ({n})" for role, n in sorted(pending.items()))
            out.append(f"- manual items pending: {sum(pending.values())} — {who}")
        for row in signoff:
            state = (
                f"signed by {_md(row.get('by'))} at {_md(row.get('at'))}"
                if row.get("signed")
                else "**unsigned**"
            )
            out.append(f"- {_md(row.get('role'))}: {state}")
    if record_name:
        out.append(f"\nFull record: `{record_name.replace('`', '')}` ({len(checks)} checks).")
    return "\n".join(out) + "\n"
