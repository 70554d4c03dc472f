"""Outcomes, severities and the verdict of a run — where GO or NO_GO is decided.

The rules (DESIGN.md, "Severity, outcomes, verdict"):

* a failed or errored check of severity ``critical`` or ``major`` blocks; a ``minor`` one warns;
* a failed or errored ``rollback_trigger`` check makes the verdict ``ROLLBACK``;
* a run in which no check ran, a selected phase in which no check ran, an incomplete run, or a
  run with no check at all is ``NO_GO`` — never a vacuous ``GO``. A check *ran* when it passed,
  failed or errored (an attested manual check passes), or when a waiver covered a failure of
  it; skipped, blocked, pending and ``run = false`` waived checks did not run;
* skipped, waived and minor pending checks and minor failures give ``GO_WITH_WARNINGS``.

Example::

    decide([CheckSummary("pre", "major", Outcome.PASSED, rollback_trigger=False)], ["pre"])
    # Decision(verdict=Verdict.GO, reasons=[])
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pytest_deployready._vocabulary import (
    BLOCKING_SEVERITIES,
    EXIT_CODES,
    SEVERITIES,
    Outcome,
    Verdict,
)

__all__ = [
    "EXIT_CODES",
    "SEVERITIES",
    "CheckSummary",
    "Decision",
    "Outcome",
    "Verdict",
    "decide",
    "is_blocking",
]

#: outcomes that mean the check ran (a ``waived`` one ran only when a waiver covered its failure)
RAN = frozenset({Outcome.PASSED, Outcome.FAILED, Outcome.ERROR})
PROBLEMS = frozenset({Outcome.FAILED, Outcome.ERROR})


@dataclass(frozen=True)
class CheckSummary:
    """What the verdict needs to know about one check."""

    phase: str | None
    severity: str
    outcome: Outcome
    rollback_trigger: bool = False
    id: str = ""
    #: the check ran; None: decided by its outcome alone (``RAN``)
    ran: bool | None = None

    @property
    def executed(self) -> bool:
        """True when the check ran (see ``RAN``): what makes a phase, and a run, not empty."""
        return self.ran if self.ran is not None else self.outcome in RAN


def is_blocking(severity: str, outcome: Outcome) -> bool:
    """True when a check with this severity and outcome stops the deployment."""
    if outcome in PROBLEMS:
        return severity in BLOCKING_SEVERITIES
    return outcome is Outcome.PENDING and severity in BLOCKING_SEVERITIES


@dataclass
class Decision:
    """A verdict and the reasons for it, worst first."""

    verdict: Verdict
    reasons: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]


def decide(
    checks: Iterable[CheckSummary],
    selected_phases: Sequence[str],
    *,
    complete: bool = True,
) -> Decision:
    """Decide the verdict of a run from its checks and the phases that were selected."""
    checks = list(checks)
    rollback = [c.id for c in checks if c.rollback_trigger and c.outcome in PROBLEMS]
    blocking = [c.id for c in checks if is_blocking(c.severity, c.outcome)]
    executed_phases = {c.phase for c in checks if c.executed}
    empty_phases = [p for p in selected_phases if p not in executed_phases]
    warnings = [
        c.id
        for c in checks
        if c.outcome in (Outcome.SKIPPED, Outcome.PENDING, Outcome.WAIVED)
        or (c.outcome in PROBLEMS and not is_blocking(c.severity, c.outcome))
    ]

    reasons: list[str] = []
    if rollback:
        reasons.append(f"rollback trigger failed: {', '.join(rollback)}")
    if blocking:
        reasons.append(f"{len(blocking)} blocking check(s) failed or pending")
    if not complete:
        reasons.append("the run did not complete")
    if checks and not any(c.executed for c in checks):
        counts = Counter(str(c.outcome) for c in checks)
        shown = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
        reasons.append(f"nothing ran: no check was executed ({shown})")
    elif empty_phases:
        reasons.append(f"no check was executed in phase(s): {', '.join(empty_phases)}")
    if not checks:
        reasons.append("no check was collected")

    if rollback:
        return Decision(Verdict.ROLLBACK, reasons)
    if reasons:
        return Decision(Verdict.NO_GO, reasons)
    if warnings:
        return Decision(Verdict.GO_WITH_WARNINGS, [f"{len(warnings)} warning(s)"])
    return Decision(Verdict.GO, [])
