"""Which collected items are checks of this run, and in what order they run.

:func:`select` reads every item's markers, keeps the selected phases' checks (each gets its
static report data, :func:`~pytest_deployready._checks.static_data`), counts the others by
reason and orders the
rest by phase; under pytest-xdist, :func:`check_distribution` refuses a distribution that
could not keep phases in order and :func:`share_phases` tells the controller each check's
phase.

Example::

    keep = select(items, cfg, selected_phases=["pre"], foreign=frozenset(), deselected=counts)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

import pytest

from pytest_deployready._checks import CHECK_KEY, static_data
from pytest_deployready._phases import check_info, sort_key
from pytest_deployready._vocabulary import ACTIVATING_MARKER
from pytest_deployready.config import DeployConfig

__all__ = ["check_distribution", "select", "share_phases", "uses_plugin"]


def uses_plugin(items: list[pytest.Item], foreign: frozenset[str]) -> bool:
    """True when a collected test carries our ``phase`` marker (the project did not
    register a ``phase`` marker of its own): the suite opted in without a config file."""
    if ACTIVATING_MARKER in foreign:
        return False
    return any(item.get_closest_marker(ACTIVATING_MARKER) is not None for item in items)


def select(
    items: list[pytest.Item],
    cfg: DeployConfig,
    *,
    selected_phases: Sequence[str],
    foreign: frozenset[str],
    deselected: Counter[str],
) -> tuple[list[pytest.Item], list[pytest.Item]]:
    """Annotate every kept item, order them by phase: ``(kept, dropped)``.

    The dropped ones (outside the selected phases) are counted in ``deselected`` by reason.
    """
    ranked: list[tuple[int, pytest.Item]] = []
    dropped: list[pytest.Item] = []
    for item in items:
        info = check_info(item, cfg.phases, cfg.default_severity, foreign)
        phase = info.phase_in(selected_phases)
        if selected_phases and phase is None:
            deselected["unmarked" if not info.phases else "other phases"] += 1
            dropped.append(item)
            continue
        callspec = getattr(item, "callspec", None)
        target = callspec.params.get("api") if callspec is not None else None
        item.stash[CHECK_KEY] = static_data(info, phase, target)
        ranked.append((sort_key(phase, cfg.phases), item))
    ranked.sort(key=itemgetter(0))  # stable: collection order within a phase
    return [item for _, item in ranked], dropped


def check_distribution(
    items: list[pytest.Item], workerinput: Mapping[str, Any] | None, phases: Sequence[str]
) -> None:
    """Refuse an xdist run of several phases without our scheduler (``pytest.UsageError``).

    Only our scheduler (``--dist load`` in a run the controller knows is a deployment run)
    keeps phases apart; otherwise a later phase could run beside, or before, a failing
    earlier one and give another verdict than serially. Checked on the workers (given their
    ``workerinput``; None in a serial run), which see the selection; not called with
    ``--deploy-continue``.
    """
    if workerinput is None or workerinput.get("deployready_phased"):
        return
    found = {s["phase"] for it in items if (s := it.stash.get(CHECK_KEY, None)) and s["phase"]}
    if len(found) < 2:
        return
    shown = ", ".join(p for p in phases if p in found)
    dist = workerinput.get("deployready_dist", "load")
    if dist == "load":
        raise pytest.UsageError(
            f"-n: the phases of a suite opted in by phase markers alone cannot be kept in "
            f"order (selected: {shown}); add a deployready.toml (it may be empty) or a "
            "--deploy-* option, select one phase with --deploy-phase, or pass --deploy-continue"
        )
    raise pytest.UsageError(
        f"--dist {dist} cannot keep the phases of a deployment run in order "
        f"(selected: {shown}); use --dist load, select one phase with --deploy-phase, "
        "or pass --deploy-continue"
    )


def share_phases(items: list[pytest.Item], shared_dir: Path, phases: Sequence[str]) -> None:
    """xdist worker: tell the controller's scheduler each check's phase rank and data."""
    from pytest_deployready._xdist_phases import CHECKS_FILE, PHASES_FILE, write_json

    states = [(item.nodeid, s) for item in items if (s := item.stash.get(CHECK_KEY, None))]
    write_json(
        shared_dir / PHASES_FILE, {nodeid: sort_key(s["phase"], phases) for nodeid, s in states}
    )
    checks = {nodeid: dict(s) for nodeid, s in states}
    write_json(shared_dir / CHECKS_FILE, checks)
