"""One check's state while it runs, and the data its reports carry to the record.

A selected item keeps only its static report data (:func:`static_data`, a dict of strings) in
``item.stash[CHECK_KEY]``. While it runs (setup to teardown) the run holds an
:class:`ItemState` made from it; the per-check fixtures write its measurements and evidence,
and :func:`annotate` puts what the record needs on each of its reports (``report.deployready``,
which travels to the xdist controller).

Example::

    item.stash[CHECK_KEY] = static_data(check_info(item, phases, "major"), "pre", None)
    state = ItemState(item.stash[CHECK_KEY])
    annotate(state, report, redactor)  # report.deployready == {"title": ..., ...}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pytest

from pytest_deployready._phases import CheckInfo
from pytest_deployready._vocabulary import Outcome
from pytest_deployready.errors import TargetNotConfigured, TargetUnreachable

if TYPE_CHECKING:
    from pytest_deployready._attest import Attestation
    from pytest_deployready._redact import Redactor
    from pytest_deployready._waivers import WaiverMatch
    from pytest_deployready.thresholds import Measurement

__all__ = [
    "CHECK_KEY",
    "ItemState",
    "annotate",
    "new_state",
    "static_data",
    "unreachable_is_error",
]


class ItemState:
    """What a check accumulates while it runs: made when its setup starts, let go with its
    teardown report (a rerun starts with a new one).

    Slots, and its lists and dicts made only when a fixture asks for them. Between checks
    nothing of it is kept: what collection learnt of the check (its :class:`CheckInfo`) stays
    in ``item.stash[CHECK_KEY]`` as the static part of its report data only, a dict of strings
    the garbage collector stops visiting after one full collection. A run of thousands of
    checks keeps no object per check for the collector to walk.
    """

    __slots__ = (
        "attestation",
        "attestation_rejected",
        "evidence",
        "forced_message",
        "forced_outcome",
        "last_data",
        "measurements",
        "phase",
        "static",
        "target",
        "waiver",
    )

    def __init__(self, static: dict[str, Any]) -> None:
        self.phase: str | None = static["phase"]
        self.target: str | None = static["target"]
        #: written by the ``thresholds`` and ``evidence`` fixtures (see :meth:`measurement_list`)
        self.measurements: list[Measurement] | None = None
        self.evidence: dict[str, Any] | None = None
        self.forced_outcome: Outcome | None = None
        self.forced_message = ""
        self.waiver: WaiverMatch | None = None
        self.attestation: Attestation | None = None
        self.attestation_rejected: Sequence[str] = ()
        #: the report data that never changes (:func:`static_data`; shared: do not modify)
        self.static = static
        #: the last report data beyond the static part
        self.last_data: dict[str, Any] | None = None

    @property
    def title(self) -> str:
        """The check's title (docstring or name, and its parameter id)."""
        return str(self.static["title"])

    @property
    def manual_role(self) -> str | None:
        """The role that attests this manual check (``@pytest.mark.manual``), or None."""
        role: str | None = self.static["manual_role"]
        return role

    def measurement_list(self) -> list[Measurement]:
        """The list the ``thresholds`` fixture appends this check's measurements to."""
        if self.measurements is None:
            self.measurements = []
        return self.measurements

    def evidence_dict(self) -> dict[str, Any]:
        """The dict the ``evidence`` fixture writes this check's evidence into."""
        if self.evidence is None:
            self.evidence = {}
        return self.evidence


#: a selected item's :func:`static_data`
CHECK_KEY = pytest.StashKey[dict[str, Any]]()


def new_state(item: pytest.Item) -> ItemState | None:
    """A fresh state for ``item`` if it is a check of this run (it has static data), else None."""
    static = item.stash.get(CHECK_KEY, None)
    return None if static is None else ItemState(static)


def static_data(info: CheckInfo, phase: str | None, target: str | None) -> dict[str, Any]:
    """The part of a check's report data that never changes (shared: do not modify)."""
    return {
        "title": info.title,
        "section": info.section,
        "phase": phase,
        "phases": info.phases,
        "severity": info.severity,
        "rollback_trigger": info.rollback_trigger,
        "rollback_reason": info.rollback_reason,
        "manual_role": info.manual_role,
        "target": target,
    }


def annotate(state: ItemState, report: pytest.TestReport, redactor: Redactor) -> None:
    """Attach what the record needs to a report (travels to the xdist controller)."""
    last = state.last_data
    if (
        report.when == "teardown"
        and last is not None
        and not report.failed
        and state.forced_outcome is None
        and state.waiver is None
        and _unchanged_since(state, last)
    ):
        # A passing teardown that added nothing carries its call report's data, as is.
        report.deployready = last  # type: ignore[attr-defined]
        return
    data: dict[str, Any] = {}
    # Measurements and evidence only once there are some (setup has none). They reach no
    # output on their way: the record is redacted as a whole before it is written.
    if state.measurements:
        data["thresholds"] = [m.as_dict() for m in state.measurements]
    if state.evidence:
        data["evidence"] = dict(state.evidence)
    if state.forced_outcome is not None:
        data["outcome"] = str(state.forced_outcome)
        data["message"] = state.forced_message
    waiver = state.waiver
    if waiver is not None and (waiver.active or waiver.expired):
        data["waiver"] = waiver.describe()
        if report.failed and waiver.active is not None:
            data["outcome"] = str(Outcome.WAIVED)
            data["message"] = f"waived: {waiver.active.justification}"
    if state.attestation is not None:
        data["attestation"] = redactor.redact_data(state.attestation.as_dict())
    if state.attestation_rejected:
        data["attestation_rejected"] = state.attestation_rejected
    # Read-only, so shared where nothing changed: a report with nothing of its own gets
    # the check's static part, and a teardown the data of the call before it.
    if not data:
        shared = state.static
    else:
        shared = {**state.static, **data}
        if shared == state.last_data:
            shared = state.last_data
        state.last_data = shared
    report.deployready = shared  # type: ignore[attr-defined]


def _unchanged_since(state: ItemState, last: dict[str, Any]) -> bool:
    """No measurement or evidence was added since ``last`` was built from the check's state.

    Measurements are only appended (and frozen); evidence values are the objects stored by
    ``evidence.add``, which ``last`` shares: the same objects mean the same evidence.
    """
    if len(state.measurements or ()) != len(last.get("thresholds", ())):
        return False
    evidence = state.evidence or {}
    carried = last.get("evidence", {})
    if len(evidence) != len(carried):
        return False
    return all(carried.get(name, _ABSENT) is value for name, value in evidence.items())


_ABSENT = object()


def unreachable_is_error(call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    """A target that cannot be reached is an ``error`` of the check, told in one line."""
    excinfo = call.excinfo
    if excinfo is None or not isinstance(excinfo.value, TargetUnreachable | TargetNotConfigured):
        return
    report.longrepr = str(excinfo.value)
    if call.when == "call":
        report.deployready_error = True  # type: ignore[attr-defined]
