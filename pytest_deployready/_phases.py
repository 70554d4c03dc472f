"""Markers, phase selection and phase order.

The markers and their signatures (registered in ``pytest_configure``)::

    @pytest.mark.phase("pre", "post")        # one or more phase names
    @pytest.mark.severity("critical")        # critical | major | minor
    @pytest.mark.rollback_trigger("p95 > 1500 ms")   # reason is optional
    @pytest.mark.manual("DevOps")            # a person with this role must attest it
    @pytest.mark.section("Database")         # checklist section (default: class or module)

Arguments are validated by binding them to the signature functions below, so a typo is a
clear usage error (exit 4), not a silently ignored marker.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from pytest_deployready._vocabulary import SEVERITIES

__all__ = [
    "MARKERS",
    "CheckInfo",
    "check_info",
    "parse_phase_option",
    "register_markers",
    "sort_key",
]


def _phase(*names: str) -> tuple[str, ...]:
    return names


def _severity(level: str) -> str:
    return level


def _rollback_trigger(reason: str = "") -> str:
    return reason


def _manual(role: str, *, reason: str = "") -> tuple[str, str]:
    return role, reason


def _section(name: str) -> str:
    return name


#: marker name -> (signature function, help text for ``pytest --markers``)
MARKERS: dict[str, tuple[Callable[..., Any], str]] = {
    "phase": (
        _phase,
        "phase(*names): deployment phase(s) of this check, e.g. phase('pre', 'post').",
    ),
    "severity": (
        _severity,
        "severity(level): critical, major or minor; a failed critical or major check blocks.",
    ),
    "rollback_trigger": (
        _rollback_trigger,
        "rollback_trigger(reason=''): a failure of this check means ROLLBACK.",
    ),
    "manual": (
        _manual,
        "manual(role, *, reason=''): an item a person with this role must attest.",
    ),
    "section": (_section, "section(name): the checklist section this check belongs to."),
}


_SIGNATURES = {name: inspect.signature(func) for name, (func, _) in MARKERS.items()}


def register_markers(config: pytest.Config, *, opted_in: bool) -> frozenset[str]:
    """Register our markers; return the names the project registered itself ("foreign").

    A suite that opted in (config file, ``--deploy-*`` option) gets all five. Any other run
    gets ``phase`` alone, the marker that opts a suite in: ``severity``, ``manual``,
    ``section`` and ``rollback_trigger`` stay unknown to pytest, so a project's own markers of
    those names behave exactly as without the plugin (same warnings, same ``--strict-markers``
    errors). A marker the project registered itself is never ours.
    """
    registered = {
        line.split(":", 1)[0].split("(", 1)[0].strip() for line in config.getini("markers")
    }
    foreign = frozenset(registered & MARKERS.keys())
    for name, (_, help_text) in MARKERS.items():
        if name not in foreign and (opted_in or name == "phase"):
            config.addinivalue_line("markers", help_text)
    return foreign


@dataclass(slots=True)
class CheckInfo:
    """What the plugin knows about a collected check (made once per check at collection:
    slots, not frozen, as a frozen dataclass sets each field through ``object.__setattr__``)."""

    id: str
    title: str
    section: str
    phases: tuple[str, ...]
    severity: str
    rollback_trigger: bool
    manual_role: str | None
    rollback_reason: str = ""  # what the rollback_trigger marker says, e.g. "p95 > 1500 ms"

    def phase_in(self, selected: Sequence[str]) -> str | None:
        """The first of this check's phases that is among ``selected`` (all when empty)."""
        for p in self.phases:
            if not selected or p in selected:
                return p
        return None


class _BadMarker(Exception):
    """Marker arguments that do not fit the marker's signature (the message says how)."""


def _bind(item: pytest.Item, name: str, marker: pytest.Mark | None) -> Any | None:
    if marker is None:
        return None
    kwargs = tuple(marker.kwargs.items())
    try:
        try:
            return _marker_value(name, marker.args, kwargs)
        except TypeError:  # unhashable arguments (so not strings either): checked uncached
            return _marker_value.__wrapped__(name, marker.args, kwargs)
    except _BadMarker as exc:
        raise pytest.UsageError(f"{item.nodeid}: {exc}") from None


@functools.lru_cache(maxsize=4096)
def _marker_value(name: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> Any:
    """The validated value of a marker's arguments: the same few markers (a phase, a
    severity, a section) are on thousands of checks, and are bound once."""
    func = MARKERS[name][0]
    try:
        _SIGNATURES[name].bind(*args, **dict(kwargs))
    except TypeError as exc:
        raise _BadMarker(
            f"bad @pytest.mark.{name} arguments {_format_args(args, dict(kwargs))}: {exc}; "
            f"expected {MARKERS[name][1]}"
        ) from None
    for value in (*args, *(v for _, v in kwargs)):
        if not isinstance(value, str):
            raise _BadMarker(f"bad @pytest.mark.{name} argument {value!r}: expected a string")
    return func(*args, **dict(kwargs))


def _format_args(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str:
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return "(" + ", ".join(parts) + ")"


def check_info(
    item: pytest.Item,
    phases: Sequence[str],
    default_severity: str,
    foreign: frozenset[str] = frozenset(),
) -> CheckInfo:
    """Read and validate this item's markers (raises ``pytest.UsageError`` on bad ones).

    Markers in ``foreign`` were registered by the project itself and are not ours to read.
    """

    closest: dict[str, pytest.Mark] = {}
    for mark in item.iter_markers():  # closest first: function, class, module
        if mark.name in MARKERS and mark.name not in foreign:
            closest.setdefault(mark.name, mark)
    get = closest.get

    names: tuple[str, ...] = _bind(item, "phase", get("phase")) or ()
    if "phase" in closest and not names:
        raise pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.phase needs at least one phase name; "
            f"valid phases: {', '.join(phases)}"
        )
    for name in names:
        if name not in phases:
            raise pytest.UsageError(
                f"{item.nodeid}: unknown phase {name!r} in @pytest.mark.phase; "
                f"valid phases: {', '.join(phases)}"
            )
    severity = _bind(item, "severity", get("severity")) or default_severity
    if severity not in SEVERITIES:
        raise pytest.UsageError(
            f"{item.nodeid}: unknown severity {severity!r} in @pytest.mark.severity; "
            f"valid severities: {', '.join(SEVERITIES)}"
        )
    rollback = "rollback_trigger" in closest
    rollback_reason = (
        str(_bind(item, "rollback_trigger", get("rollback_trigger")) or "") if rollback else ""
    )
    manual = _bind(item, "manual", get("manual"))
    if manual is not None and (not isinstance(manual[0], str) or not manual[0].strip()):
        raise pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.manual needs the role that attests the item, "
            f"e.g. manual('Team lead'), got {manual[0]!r}"
        )
    section = _bind(item, "section", get("section")) or _default_section(item)
    ordered = tuple(p for p in phases if p in names)  # canonical order, no duplicates
    return CheckInfo(
        id=item.nodeid,
        title=_title(item),
        section=section,
        phases=ordered,
        severity=severity,
        rollback_trigger=rollback,
        manual_role=manual[0] if manual else None,
        rollback_reason=rollback_reason,
    )


def _first_doc_line(obj: object) -> str | None:
    """The first line of ``obj``'s docstring: read once per function, class or module (the
    thousands of parametrized checks of one test function share it)."""
    try:
        return _cached_doc_line(obj)
    except TypeError:  # unhashable
        return _doc_line(obj)


@functools.lru_cache(maxsize=1024)
def _cached_doc_line(obj: object) -> str | None:
    return _doc_line(obj)


def _doc_line(obj: object) -> str | None:
    doc = inspect.getdoc(obj) if obj is not None else None
    if doc:
        line = doc.strip().splitlines()[0].strip()
        return line or None
    return None


@functools.lru_cache(maxsize=1024)  # the checks of one parametrized function share a name
def _humanize(name: str) -> str:
    name = re.sub(r"^(test_?|Test)", "", name)
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").strip()
    return name[:1].upper() + name[1:] if name else name


def _title(item: pytest.Item) -> str:
    func = getattr(item, "function", None)
    title = _first_doc_line(func) or _humanize(getattr(item, "originalname", item.name))
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        title = f"{title} [{callspec.id}]"
    return title


def _default_section(item: pytest.Item) -> str:
    cls = getattr(item, "cls", None)
    if cls is not None:
        return _first_doc_line(cls) or _humanize(cls.__name__)
    module = getattr(item, "module", None)
    doc = _first_doc_line(module)
    if doc:
        return doc
    name = getattr(module, "__name__", "") if module is not None else ""
    return _humanize(name.rsplit(".", 1)[-1]) if name else ""


def parse_phase_option(values: Iterable[str], phases: Sequence[str]) -> list[str]:
    """Turn repeated ``--deploy-phase`` values into an ordered list of phase names."""
    wanted: set[str] = set()
    for value in values:
        for raw in value.split(","):
            name = raw.strip()
            if not name:
                continue
            if name == "all":
                wanted.update(phases)
            elif name not in phases:
                raise pytest.UsageError(
                    f"--deploy-phase: unknown phase {name!r}; valid phases: "
                    f"{', '.join(phases)}, all"
                )
            else:
                wanted.add(name)
    if not wanted:
        raise pytest.UsageError(
            f"--deploy-phase: no phase given; valid phases: {', '.join(phases)}, all"
        )
    return [p for p in phases if p in wanted]


def sort_key(phase: str | None, phases: Sequence[str]) -> int:
    """Position of a phase in the run order; checks without a phase run last."""
    return phases.index(phase) if phase in phases else len(phases)
