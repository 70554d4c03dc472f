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

import ast
import datetime as dt
import difflib
import json
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_deployready.errors import UsageProblem

__all__ = [
    "SIGNOFF",
    "Attestation",
    "AttestationError",
    "Attestations",
    "append_attestation",
    "check_id_warning",
    "did_you_mean",
    "load_attestations",
    "same_role",
]

SIGNOFF = "signoff"
_TABLE = "attestation"  # the one top-level key: [[attestation]] tables
_KEYS = {"check", "title", "by", "role", "at", "note", "commit"}


class AttestationError(UsageProblem):
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

    def __init__(
        self, entries: Sequence[Attestation], path: Path | None = None, digest: str | None = None
    ) -> None:
        self.entries = list(entries)
        self.path = path
        #: sha256 of the file as read: the record says which attestations it counted
        self.digest = digest

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

    def unmatched(
        self, checks: Sequence[tuple[str, str]], signoff_roles: Sequence[str]
    ) -> dict[int, str]:
        """Entries that match no check of the run: entry index -> a warning saying so.

        ``checks`` is ``(check id, title)`` of every check of the run; a sign-off entry matches
        when its role is one of ``signoff_roles``. A close check id is offered (did you mean).

        Example::

            attestations.unmatched([("t.py::test_pr", "PR approved")], ["QA"])
            # {0: "attestation of t.py::test_rp by Jane (Lead) matches no check; did you mean ..."}
        """
        ids = {check_id for check_id, _ in checks}
        titles = {title for _, title in checks}
        out: dict[int, str] = {}
        for index, a in enumerate(self.entries):
            if a.check == SIGNOFF:
                if not any(same_role(a.role, r) for r in signoff_roles):
                    known = ", ".join(signoff_roles) or "none are configured"
                    out[index] = (
                        f"sign-off by {a.by} ({a.role}) matches no sign-off role "
                        f"(signoff roles: {known})"
                    )
                continue
            if a.title is not None and a.title in titles:
                continue
            if a.check is not None and (
                a.check in ids or any(_same_check(a.check, i) for i in ids)
            ):
                continue
            what = f"check {a.check}" if a.check is not None else f"title {a.title!r}"
            hint = did_you_mean(a.check or a.title or "", ids if a.check else titles)
            out[index] = (
                f"attestation of {what} by {a.by} ({a.role}) matches no check of this run{hint}"
            )
        return out

    def signoff(self, role: str, commit: str | None) -> Match:
        candidates = [a for a in self.entries if a.check == SIGNOFF and same_role(a.role, role)]
        return _pick(candidates, commit)


def did_you_mean(wanted: str, known: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``known``, or ``""`` when none is close."""
    close = difflib.get_close_matches(wanted, list(known), n=3, cutoff=0.75)
    if not close:
        return ""
    return "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


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
        raw = path.read_text(encoding="utf-8-sig")  # UTF-8, with the BOM some editors write
    except FileNotFoundError:
        raise AttestationError(f"--deploy-attest: {path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise AttestationError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the attestation file as UTF-8"
        ) from None
    except OSError as exc:
        raise AttestationError(f"--deploy-attest: {path}: {exc.strerror or exc}") from None
    import yaml  # only attestation files in YAML need it

    is_yaml = path.suffix in (".yaml", ".yml")
    try:
        data = (yaml.safe_load(raw) or {}) if is_yaml else tomllib.loads(raw)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AttestationError(f"{path}: cannot parse: {first}") from None
    except (ValueError, OverflowError) as exc:  # YAML's dates: "at: 2026-99-99"
        raise AttestationError(
            f"{path}: cannot parse: {exc} (a date or time that does not exist?)"
        ) from None
    except RecursionError:
        raise AttestationError(f"{path}: cannot parse: nested too deeply") from None
    if isinstance(data, dict):
        unknown = [k for k in data if k != _TABLE]
        if unknown:
            key = str(unknown[0])
            close = difflib.get_close_matches(key.lower(), [_TABLE], n=1, cutoff=0.6)
            hint = f"did you mean '{_TABLE}'? " if close else ""
            raise AttestationError(
                f"{path}: unknown top-level key '{key}' ({hint}entries go in [[{_TABLE}]] "
                f"tables, or a YAML list)"
            )
        entries = data.get(_TABLE, [])
    else:
        entries = data
    if not isinstance(entries, list):
        raise AttestationError(f"{path}: expected a list of [[{_TABLE}]] entries")
    return entries


def load_attestations(path: Path) -> Attestations:
    """Read and validate an attestation file (TOML or YAML)."""
    import hashlib

    try:
        digest: str | None = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        digest = None  # _read reports an unreadable file in one line
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
    return Attestations(entries, path, digest)


def check_id_warning(check: str, root: Path) -> str | None:
    """Why ``check`` looks like no check of the suite at ``root``, read without collecting.

    ``deployready attest`` calls it so a typo is told at once, not at the next run: the
    file part of the id must exist under ``root`` (pytest's rootdir, usually the current
    directory) and define a function or class of that name. ``None`` when it looks right (or
    the file cannot be read as Python: then only a pytest run can tell).

    Example::

        check_id_warning("checks/test_pre.py::test_pr_aproved", Path("."))
        # "no test_pr_aproved in checks/test_pre.py; did you mean '...::test_pr_approved'?"
    """
    if check == SIGNOFF:
        return None
    path, sep, name = check.partition("::")
    if not sep or not name:
        return f"{check!r} is not a check id (FILE::NAME, as in the record or the terminal)"
    file = root / path
    if not file.is_file():
        return (
            f"no file {path} under {root.resolve()} (check ids are relative to pytest's "
            "rootdir: run deployready attest there)"
        )
    try:
        tree = ast.parse(file.read_bytes(), filename=str(file))
    except (OSError, SyntaxError, ValueError):
        return None
    known = [f"{path}::{n}" for n in _defined_names(tree)]
    wanted = f"{path}::{name.split('[', 1)[0]}"  # test_x[param] is test_x, parametrized
    if wanted in known:
        return None
    return f"no {name} in {path}{did_you_mean(wanted, known)}"


def _defined_names(tree: ast.Module) -> list[str]:
    """Functions of a module, and methods of its classes as ``Class::method``."""
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef):
            names += [
                f"{node.name}::{m.name}"
                for m in node.body
                if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
    return names


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
        existing = path.read_text(encoding="utf-8-sig") if path.exists() else ""
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
