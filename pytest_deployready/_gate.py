"""Whether a check runs: blocked by an earlier phase's failure, waived, or pending attestation.

:class:`PhaseBlocking` remembers the blocking failures of each phase (on an xdist worker it
reads the controller's); :func:`admit` decides, before a check is set up, the outcome it gets
without running, or lets it run.

Example::

    blocking = PhaseBlocking(phases=["pre", "deploy", "post"])
    blocking.note(check)                  # a failed critical check of phase "pre"
    blocking.reason("deploy")             # "blocked: phase 'pre' has blocking failures (...)"
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_deployready._checks import ItemState
from pytest_deployready._phases import sort_key
from pytest_deployready._vocabulary import BLOCKING_SEVERITIES, Outcome

if TYPE_CHECKING:
    from pytest_deployready._attest import Attestations
    from pytest_deployready._record import CheckResult
    from pytest_deployready.config import DeployConfig

__all__ = ["PhaseBlocking", "admit"]


class PhaseBlocking:
    """The blocking failures of each phase, which keep later phases' checks from running."""

    def __init__(self, phases: Sequence[str], shared_dir: Path | None = None) -> None:
        self.phases = phases
        #: phase -> ids of its failed blocking checks, in the order they failed
        self.failed: dict[str, list[str]] = {}
        #: pytest-xdist worker: the directory where the controller writes its failures
        self.shared_dir = shared_dir
        self._read: tuple[str, dict[str, list[str]]] | None = None

    def note(self, check: CheckResult) -> None:
        """Remember a blocking failure of a phase: later phases' checks are then ``blocked``."""
        if (
            check.outcome in (Outcome.FAILED, Outcome.ERROR)
            and check.severity in BLOCKING_SEVERITIES
            and check.phase is not None
        ):
            failed = self.failed.setdefault(check.phase, [])
            if check.id not in failed:
                failed.append(check.id)

    def reason(self, phase: str) -> str | None:
        """Why a check of ``phase`` must not run: an earlier phase has a blocking failure."""
        blocking = self.failed
        if self.shared_dir is not None:  # an xdist worker: the controller saw every failure
            blocking = self._shared(phase)
        if not blocking:
            return None
        mine = sort_key(phase, self.phases)
        for earlier, failed in blocking.items():
            if sort_key(earlier, self.phases) < mine:
                shown = ", ".join(failed[:3]) + (" ..." if len(failed) > 3 else "")
                return (
                    f"blocked: phase {earlier!r} has blocking failures ({shown}); "
                    "use --deploy-continue to run later phases anyway"
                )
        return None

    def _shared(self, phase: str) -> dict[str, list[str]]:
        """The controller's blocking failures, read once per phase on an xdist worker.

        The controller writes them before it sends the first check of a phase, and not again
        until the next phase opens: one read serves every check of the phase.
        """
        if self._read is None or self._read[0] != phase:
            from pytest_deployready._xdist_phases import read_blocking

            assert self.shared_dir is not None
            self._read = (phase, read_blocking(self.shared_dir))
        return self._read[1]


def admit(
    item: pytest.Item,
    state: ItemState,
    *,
    blocked: str | None,
    config: DeployConfig,
    attestations: Attestations | None,
    commit: str | None,
    today: dt.date,
) -> str | None:
    """Before a check runs: the reason it must not run (blocked, waived, pending), or None.

    ``blocked`` is :meth:`PhaseBlocking.reason` for the check's phase (None with
    ``--deploy-continue``). The outcome it gets without running is set on ``state``.
    """
    if blocked is not None:
        state.forced_outcome, state.forced_message = Outcome.BLOCKED, blocked
        return blocked
    if config.waivers:
        from pytest_deployready._waivers import find_waiver

        state.waiver = find_waiver(config.waivers, item.nodeid, today)
    active = state.waiver.active if state.waiver is not None else None
    if active is not None and not active.run:
        state.forced_outcome = Outcome.WAIVED
        state.forced_message = f"waived (not run): {active.justification}"
        return state.forced_message
    role = state.manual_role
    if role is None:
        return None
    if attestations is not None:
        match = attestations.for_check(item.nodeid, state.title, commit, role)
        state.attestation, state.attestation_rejected = match.attestation, match.rejected
    if state.attestation is None:
        state.forced_outcome = Outcome.PENDING
        rejected = state.attestation_rejected
        why = f"; {rejected[-1]}" if rejected else ""
        state.forced_message = f"manual: pending attestation by {role}{why}"
        return state.forced_message
    return None  # attested: the body (often just a docstring) runs and passes
