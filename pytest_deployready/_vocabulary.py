"""The product's words, defined once: verdicts, outcomes, severities, phases, exit codes, colours.

Every other module imports them from here (``_verdict.py`` decides with them, the record, the
pages, the terminal and the summary show them), so an order, a name or a colour cannot drift
between outputs. The page's style sheet (``resources/record.css``) repeats the outcome colours;
a test holds it to :data:`OUTCOME_COLOURS`.

Example::

    from pytest_deployready._vocabulary import EXIT_CODES, Verdict

    EXIT_CODES[Verdict.ROLLBACK]  # 6
"""

from __future__ import annotations

import enum

__all__ = [
    "ACTIVATING_MARKER",
    "BLOCKING_SEVERITIES",
    "DEFAULT_PHASES",
    "DEFAULT_SEVERITY",
    "EXIT_CODES",
    "EXIT_INTERNAL_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE_ERROR",
    "MARKERS",
    "OPTION_PREFIX",
    "OUTCOMES_WORST_FIRST",
    "OUTCOME_COLOURS",
    "OUTCOME_ORDER",
    "OUTCOME_RANK",
    "SEVERITIES",
    "VERDICT_COLOURS",
    "VERDICT_ORDER",
    "Outcome",
    "Verdict",
]


class Outcome(enum.StrEnum):
    """The outcome of one check in the deployment record."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    BLOCKED = "blocked"
    PENDING = "pending"
    WAIVED = "waived"


class Verdict(enum.StrEnum):
    """The verdict of a run, from best to worst."""

    GO = "GO"
    GO_WITH_WARNINGS = "GO_WITH_WARNINGS"
    NO_GO = "NO_GO"
    ROLLBACK = "ROLLBACK"


#: verdicts from best to worst (a combined run takes the worst)
VERDICT_ORDER: tuple[Verdict, ...] = tuple(Verdict)
#: outcomes in the order the record's summary, the terminal table and the Markdown summary use
OUTCOME_ORDER: tuple[Outcome, ...] = tuple(Outcome)
#: outcomes worst first: the page's filter and summary columns
OUTCOMES_WORST_FIRST: tuple[Outcome, ...] = (
    Outcome.FAILED,
    Outcome.ERROR,
    Outcome.BLOCKED,
    Outcome.PENDING,
    Outcome.WAIVED,
    Outcome.SKIPPED,
    Outcome.PASSED,
)
#: when a check's setup, call and teardown disagree, the higher rank wins
OUTCOME_RANK: dict[Outcome, int] = {
    Outcome.PASSED: 0,
    Outcome.SKIPPED: 1,
    Outcome.PENDING: 2,
    Outcome.WAIVED: 3,
    Outcome.BLOCKED: 4,
    Outcome.FAILED: 5,
    Outcome.ERROR: 6,
}

SEVERITIES: tuple[str, ...] = ("critical", "major", "minor")
BLOCKING_SEVERITIES = frozenset({"critical", "major"})
DEFAULT_SEVERITY = "major"
DEFAULT_PHASES: tuple[str, ...] = ("pre", "deploy", "post", "rollback")

#: our markers; only ``phase`` opts a suite in without a config file or option
MARKERS: tuple[str, ...] = ("phase", "severity", "rollback_trigger", "manual", "section")
ACTIVATING_MARKER = "phase"
#: every option of ours is ``--deploy-*`` (dest ``deploy_*``): any of them opts a run in
OPTION_PREFIX = "deploy_"

#: process exit code of ``pytest`` for each verdict (docs/verdict.md)
EXIT_CODES: dict[Verdict, int] = {
    Verdict.GO: 0,
    Verdict.GO_WITH_WARNINGS: 0,
    Verdict.NO_GO: 1,
    Verdict.ROLLBACK: 6,
}
#: pytest's own codes, kept for a run the verdict does not decide
EXIT_INTERRUPTED = 2
EXIT_INTERNAL_ERROR = 3
EXIT_USAGE_ERROR = 4

VERDICT_COLOURS: dict[Verdict, str] = {
    Verdict.GO: "#1a7f37",
    Verdict.GO_WITH_WARNINGS: "#9a6700",
    Verdict.NO_GO: "#cf222e",
    Verdict.ROLLBACK: "#82071e",
}
OUTCOME_COLOURS: dict[Outcome, str] = {
    Outcome.PASSED: "#1a7f37",
    Outcome.FAILED: "#cf222e",
    Outcome.ERROR: "#82071e",
    Outcome.SKIPPED: "#6e7781",
    Outcome.BLOCKED: "#9a6700",
    Outcome.PENDING: "#8250df",
    Outcome.WAIVED: "#0969da",
}
