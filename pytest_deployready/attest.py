"""Attestations: a person confirms a manual item, or signs off a role, in a file.

The file (``--deploy-attest FILE``, TOML or YAML) is a list of entries::

    [[attestation]]
    check = "checks/test_pre.py::test_pr_approved"   # a check id, or
    # title = "PR #3 reviewed and approved by team lead"   the checklist title
    by = "Jane Doe"
    role = "Team lead"
    at = 2026-11-23T10:15:00Z          # optional (deployready attest fills in the time)
    note = "approved in the release channel"
    commit = "3f2c1e0"                 # optional: only counts for this git commit (prefix)

    [[attestation]]
    check = "signoff"                  # sign-off of a role listed in `signoff = [...]`
    by = "Ann QA"
    role = "QA"

``deployready attest CHECK --by NAME --role ROLE [--note ...]`` appends an entry, so nobody has
to edit the file by hand under pressure.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "SIGNOFF",
    "Attestation",
    "AttestationError",
    "Attestations",
    "append_attestation",
    "load_attestations",
    "same_role",
]

SIGNOFF = "signoff"
_KEYS = {"check", "title", "by", "role", "at", "note", "commit"}


class AttestationError(pytest.UsageError):  # type: ignore[misc]  # UsageError is @final for typing only
    """A bad attestation file: one line naming the file, the entry and the problem."""


@dataclass(frozen=True)
class Attestation:
    """One person's confirmation of a check (or sign-off of a role)."""

    by: str
    role: str
    check: str | None = None
    title: str | None = None
    at: str | None = None
    note: str = ""
    commit: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "title": self.title,
            "by": self.by,
            "role": self.role,
            "at": self.at,
            "note": self.note,
            "commit": self.commit,
        }

    def applies_to_commit(self, commit: str | None) -> bool:
        if not self.commit:
            return True
        return commit is not None and (
            commit.startswith(self.commit) or self.commit.startswith(commit)
        )


@dataclass
class Match:
    """The attestation that counts for a check, or why the ones found don't."""

    attestation: Attestation | None
    rejected: list[str]


class Attestations:
    """All attestations of a run, looked up by check id or title."""

    def __init__(self, entries: Sequence[Attestation], path: Path | None = None) -> None:
        self.entries = list(entries)
        self.path = path

    def for_check(
        self, check_id: str, title: str, commit: str | None, role: str | None = None
    ) -> Match:
        """The latest attestation of this check valid for ``commit`` and, if given, ``role``.

        An entry by another role than the ``manual`` marker's does not count (the record says
        why); roles compare ignoring case, ``-``/``_`` and runs of spaces (:func:`same_role`).
        """
        candidates = [
            a
            for a in self.entries
            if a.check != SIGNOFF
            and ((a.check and _same_check(a.check, check_id)) or (a.title and a.title == title))
        ]
        rejected: list[str] = []
        if role is not None:
            rejected = [
                f"attestation by {a.by} ({a.role}) is not by the role this check asks for: {role}"
                for a in candidates
                if not same_role(a.role, role)
            ]
            candidates = [a for a in candidates if same_role(a.role, role)]
        match = _pick(candidates, commit)
        match.rejected[:0] = rejected
        return match

    def signoff(self, role: str, commit: str | None) -> Match:
        candidates = [a for a in self.entries if a.check == SIGNOFF and same_role(a.role, role)]
        return _pick(candidates, commit)


def same_role(a: str, b: str) -> bool:
    """The same role, written differently: ``same_role("release-manager", "Release  Manager")``."""
    return _role_key(a) == _role_key(b)


def _role_key(role: str) -> str:
    return " ".join(role.replace("-", " ").replace("_", " ").casefold().split())


def _same_check(attested: str, check_id: str) -> bool:
    """The same check, also when one id is relative to another rootdir (a path suffix)."""
    if attested == check_id:
        return True
    longer, shorter = (
        (attested, check_id) if len(attested) > len(check_id) else (check_id, attested)
    )
    return "/" in longer and longer.endswith("/" + shorter) and "::" in shorter


def _pick(candidates: list[Attestation], commit: str | None) -> Match:
    rejected: list[str] = []
    chosen: Attestation | None = None
    for a in candidates:
        if a.applies_to_commit(commit):
            chosen = a  # later entries win
        else:
            rejected.append(
                f"attestation by {a.by} ({a.role}) is for commit {a.commit}, "
                f"this run is {commit[:12] if commit else 'not in a git checkout'}"
            )
    return Match(chosen, rejected)


def _text(value: Any, where: str, key: str, *, required: bool) -> str | None:
    if value is None:
        if required:
            raise AttestationError(f"{where}: missing '{key}'")
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise AttestationError(f"{where}: '{key}' must be a string, got {type(value).__name__}")
    text = str(value).strip()
    if required and not text:
        raise AttestationError(f"{where}: '{key}' must not be empty")
    return text or None


def _read(path: Path) -> list[Any]:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AttestationError(f"--deploy-attest: {path}: no such file") from None
    except OSError as exc:
        raise AttestationError(f"--deploy-attest: {path}: {exc.strerror}") from None
    import yaml  # only attestation files in YAML need it

    try:
        is_yaml = path.suffix in (".yaml", ".yml")
        data = (yaml.safe_load(raw) or {}) if is_yaml else tomllib.loads(raw)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AttestationError(f"{path}: cannot parse: {first}") from None
    entries = data.get("attestation", []) if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise AttestationError(f"{path}: expected a list of [[attestation]] entries")
    return entries


def load_attestations(path: Path) -> Attestations:
    """Read and validate an attestation file (TOML or YAML)."""
    entries: list[Attestation] = []
    for index, entry in enumerate(_read(path)):
        where = f"{path}: attestation[{index}]"
        if not isinstance(entry, dict):
            raise AttestationError(f"{where}: expected a table, got {type(entry).__name__}")
        unknown = sorted(set(entry) - _KEYS)
        if unknown:
            raise AttestationError(
                f"{where}: unknown key '{unknown[0]}' (known: {', '.join(sorted(_KEYS))})"
            )
        check = _text(entry.get("check"), where, "check", required=False)
        title = _text(entry.get("title"), where, "title", required=False)
        if check is None and title is None:
            raise AttestationError(f"{where}: needs 'check' (a check id or 'signoff') or 'title'")
        entries.append(
            Attestation(
                by=_text(entry.get("by"), where, "by", required=True) or "",
                role=_text(entry.get("role"), where, "role", required=True) or "",
                check=check,
                title=title,
                at=_text(entry.get("at"), where, "at", required=False),
                note=_text(entry.get("note"), where, "note", required=False) or "",
                commit=_text(entry.get("commit"), where, "commit", required=False),
            )
        )
    return Attestations(entries, path)


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def append_attestation(path: Path, attestation: Attestation) -> None:
    """Append one entry to an attestation file, TOML or YAML (created when missing)."""
    if path.exists():
        load_attestations(path)  # refuse to append to a file that is already broken
    if path.suffix in (".yaml", ".yml"):
        import yaml

        fields = {k: str(v) for k, v in attestation.as_dict().items() if v}
        text = yaml.safe_dump([fields], sort_keys=False, allow_unicode=True)
        existing = path.read_text(encoding="utf-8") if path.exists() else ""
        if existing.strip() and not existing.lstrip().startswith("-"):
            raise AttestationError(f"{path}: expected a YAML list of entries to append to")
        with path.open("a", encoding="utf-8") as fh:
            fh.write(("" if not existing or existing.endswith("\n") else "\n") + text)
        return
    lines = ["", "[[attestation]]"]
    for key, value in attestation.as_dict().items():
        if value:
            lines.append(f"{key} = {_toml_string(str(value))}")
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
