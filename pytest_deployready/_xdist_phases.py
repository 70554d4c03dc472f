"""Phase order and blocking under pytest-xdist (``-n N`` with the default ``--dist load``).

Serially, a run checks phase by phase and a blocking failure makes the later phases
``blocked``. Under xdist each worker runs what the controller sends it, so the controller's
scheduler has to keep the phases apart: :class:`PhaseScheduling` sends a phase's checks only
when every check of the earlier phases has finished, and before it does, writes the blocking
failures so far to a file the workers read (:func:`read_blocking`) when they prepare a check.

An xdist worker runs a check only once it holds the next one (or is told to shut down), so at
the end of a phase each worker may hold one unrun check. The scheduler gives such a worker one
check of the next phase (a "primer"), which lets it run its last check of this phase and is
itself held until the next phase opens.

Example (what the plugin does when xdist makes its scheduler)::

    sched = PhaseScheduling(config, log, shared_dir, blocking=lambda: run.blocking_phases)
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScheduling

__all__ = [
    "BLOCKING_FILE",
    "CHECKS_FILE",
    "PHASES_FILE",
    "PhaseScheduling",
    "read_blocking",
    "read_checks",
    "write_json",
]

#: nodeid -> phase rank (0 runs first), written by the workers after collection
PHASES_FILE = "phases.json"
#: phase -> ids of its blocking failures, written by the controller before a phase opens
BLOCKING_FILE = "blocking.json"
#: nodeid -> phase, severity, rollback trigger, ... written by the workers after collection,
#: read by the controller for a check whose worker crashed before it reported anything
CHECKS_FILE = "checks.json"


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` atomically (readers never see half a file)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_blocking(shared_dir: Path) -> dict[str, list[str]]:
    """The blocking failures the controller has seen so far (empty before the first one).

    Example: ``read_blocking(Path(config.workerinput["deployready_shared"]))``
    """
    try:
        data = json.loads((shared_dir / BLOCKING_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): [str(i) for i in v] for k, v in data.items() if isinstance(v, list)}


def read_checks(shared_dir: Path) -> dict[str, dict[str, Any]]:
    """What the workers collected, per check id (empty when no worker wrote it)."""
    try:
        data = json.loads((shared_dir / CHECKS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, dict)}


class PhaseScheduling(LoadScheduling):  # type: ignore[misc]  # xdist ships no types
    """``--dist load`` that opens one phase at a time (see the module docstring)."""

    def __init__(
        self,
        config: pytest.Config,
        log: Any,
        shared_dir: Path,
        blocking: Callable[[], Mapping[str, list[str]]],
    ) -> None:
        super().__init__(config, log)
        self.shared_dir = shared_dir
        self._blocking = blocking
        self._ranks: list[int] | None = None
        self.current = 0
        #: more than one phase to keep apart; False: exactly xdist's load scheduling
        self.phased = False

    def _rank(self, index: int) -> int:
        ranks = self._ranks or ()
        return ranks[index] if index < len(ranks) else 0

    def _load_ranks(self) -> list[int]:
        """Phase rank per collection index; all 0 (plain load scheduling) when unknown."""
        collection = self.collection or []
        try:
            by_id = json.loads((self.shared_dir / PHASES_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            by_id = {}
        if not isinstance(by_id, dict):
            by_id = {}
        ranks = [int(by_id.get(nodeid, 0)) for nodeid in collection]
        self.current = min(ranks, default=0)
        self.phased = len(set(ranks)) > 1
        return ranks

    def schedule(self) -> None:
        """Send the first checks; later also called when a replacement for a crashed worker
        has collected. By then the crash report has been folded into the blocking failures,
        so a phase whose last check crashed opens now, with that crash blocking it."""
        if self.phased and self._ranks is not None:
            self._advance()
        super().schedule()
        if self.phased:
            for node in self.nodes:
                self._prime(node)

    def _send_tests(self, node: Any, num: int) -> None:
        """Send up to ``num`` checks of the open phase (never of a later one)."""
        if self._ranks is None:  # the first call: the collection is known from here on
            self._ranks = self._load_ranks()
        if not self.phased:
            super()._send_tests(node, num)
            return
        take = [i for i in self.pending if self._rank(i) <= self.current][:num]
        self._send(node, take)

    def _send(self, node: Any, indices: list[int]) -> None:
        if indices:
            for index in indices:
                self.pending.remove(index)
            self.node2pending[node].extend(indices)
            node.send_runtest_some(indices)

    def _prime(self, node: Any) -> None:
        """Give a node that holds its last check of the open phase one check of the next."""
        held = self.node2pending.get(node, [])
        if node.shutting_down or len(held) != 1 or self._rank(held[0]) > self.current:
            return
        if any(self._rank(i) <= self.current for i in self.pending):
            return  # more of the open phase will be sent to it
        later = [i for i in self.pending if self._rank(i) > self.current]
        if later:
            self._send(node, [min(later)])

    def check_schedule(self, node: Any, duration: float = 0) -> None:
        if not self.phased:
            super().check_schedule(node, duration)
            return
        if node.shutting_down:
            return
        if not self.pending and any(self._rank(i) > self.current for i in self.node2pending[node]):
            return  # it holds a primer of a phase not open yet: shut it down once that opens
        super().check_schedule(node, duration)
        self._prime(node)

    @property
    def tests_finished(self) -> bool:
        if self.phased and any(
            self._rank(i) > self.current for held in self.node2pending.values() for i in held
        ):
            return False  # a primer waits for its phase: shutting down now would run it early
        return bool(super().tests_finished)

    def mark_test_complete(self, node: Any, item_index: int, duration: float = 0) -> None:
        if not self.phased:
            super().mark_test_complete(node, item_index, duration)
            return
        self.node2pending[node].remove(item_index)
        self._advance()
        # Every node, not only this one: a node that holds the last check of the phase must
        # get its primer (or be shut down) for that check to run at all.
        for other in self.nodes:
            self.check_schedule(other, duration=duration if other is node else 0)

    def _advance(self) -> bool:
        """Open the next phase once nothing of the current one is left; True when opened."""
        left = [*self.pending, *(i for held in self.node2pending.values() for i in held)]
        if not left or any(self._rank(i) <= self.current for i in left):
            return False
        # The workers read this before they prepare a check of the phase being opened.
        write_json(self.shared_dir / BLOCKING_FILE, dict(self._blocking()))
        self.current = min(self._rank(i) for i in left)
        return True
