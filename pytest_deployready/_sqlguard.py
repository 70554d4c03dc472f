"""The ``db`` fixture's read-only guard: refuse, before sending, SQL that could change a database.

Security-critical. The server keeps the session read-only too (``default_transaction_read_only``
and ``BEGIN READ ONLY``, see :mod:`pytest_deployready.postgres`); this guard is the first line:
it reads the statement the way PostgreSQL's lexer would (comments, string literals,
dollar-quoting and quoted identifiers never count) and allows only statements that read —
``SELECT``/``WITH``/``VALUES``/``TABLE``/``SHOW``/``EXPLAIN`` and ``SET``/``RESET`` of harmless
settings — without a writing word (``INSERT``, ``UPDATE``, ``DELETE``, ``MERGE``, ``TRUNCATE``,
``INTO``) or a function with lasting effects (``nextval``, ``pg_terminate_backend``, ...).

Example::

    check_read_only("SELECT 1")                            # fine
    check_read_only("WITH d AS (DELETE FROM t) SELECT 1")  # ReadOnlyViolation
    is_one_query("SELECT 1; SELECT 2")                     # False
"""

from __future__ import annotations

import re

from pytest_deployready.errors import ReadOnlyViolation

__all__ = ["check_read_only", "is_one_query"]

# Statements allowed to start a command. Everything else (INSERT, CREATE, VACUUM, COPY, BEGIN,
# COMMIT, CALL, DO, LOCK, ...) is refused.
_READ_STATEMENTS = frozenset(
    {"select", "with", "values", "table", "show", "explain", "set", "reset"}
)
_QUERY_STATEMENTS = frozenset({"select", "with", "values", "table"})
# Words that make any statement a write, wherever they appear (writable CTEs, SELECT INTO,
# SELECT ... FOR UPDATE, EXPLAIN ANALYZE INSERT ...).
_WRITE_WORDS = frozenset({"insert", "update", "delete", "merge", "truncate", "into"})
# Functions with effects that a rollback does not undo, or that change the data.
_WRITE_FUNCTION_NAMES = """
    nextval setval set_config pg_terminate_backend pg_cancel_backend pg_reload_conf
    pg_rotate_logfile pg_switch_wal pg_create_restore_point pg_promote pg_backup_start
    pg_backup_stop pg_start_backup pg_stop_backup pg_wal_replay_pause pg_wal_replay_resume
    pg_drop_replication_slot pg_create_physical_replication_slot
    pg_create_logical_replication_slot pg_advisory_lock pg_advisory_lock_shared
    pg_try_advisory_lock pg_try_advisory_lock_shared pg_stat_statements_reset lo_import
    lo_export lo_unlink lo_create lo_creat lo_put lo_from_bytea pg_file_write pg_file_unlink
    pg_file_rename dblink dblink_exec
"""
_WRITE_FUNCTIONS = frozenset(_WRITE_FUNCTION_NAMES.split())
_WRITE_FUNCTION_PREFIXES = ("pg_stat_reset", "pg_replication_origin_")
# SET/RESET of these would make later statements read-write.
_GUARDED_SETTINGS = frozenset(
    {
        "default_transaction_read_only",
        "transaction_read_only",
        "transaction",
        "characteristics",
        "session_authorization",
        "all",
    }
)
_EXPLAIN_OPTIONS = frozenset({"analyze", "analyse", "verbose"})
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def _statements(text: str) -> list[list[str]]:
    """Split SQL into statements of lower-cased words and parentheses.

    Comments, string literals (standard, ``E''``, dollar-quoted) and quoted identifiers are
    dropped (a quoted identifier becomes the token ``"``), so their content never counts.
    """
    statements: list[list[str]] = [[]]
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "-" and text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif ch == "/" and text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif ch == "'":
            escapes = i > 0 and text[i - 1] in "eE" and (i < 2 or not _is_word_char(text[i - 2]))
            if escapes and statements[-1] and statements[-1][-1] == "e":
                statements[-1].pop()  # the E of E'...' is not a word
            i += 1
            while i < n:
                if escapes and text[i] == "\\":
                    i += 2
                elif text[i] == "'":
                    if text.startswith("''", i):
                        i += 2
                    else:
                        i += 1
                        break
                else:
                    i += 1
        elif ch == '"':
            i += 1
            while i < n:
                if text.startswith('""', i):
                    i += 2
                elif text[i] == '"':
                    i += 1
                    break
                else:
                    i += 1
            statements[-1].append('"')
        elif ch == "$" and (m := _DOLLAR_TAG.match(text, i)) and not _is_word_char(text[i - 1 : i]):
            end = text.find(m.group(0), m.end())
            i = n if end < 0 else end + len(m.group(0))
        elif ch == ";":
            statements.append([])
            i += 1
        elif ch in "()":
            statements[-1].append(ch)
            i += 1
        elif (m := _WORD.match(text, i)) is not None:
            statements[-1].append(m.group(0).lower())
            i = m.end()
        elif ch.isdigit():
            while i < n and (text[i].isalnum() or text[i] in "._"):
                i += 1
        else:
            i += 1
    return [s for s in statements if s]


def _is_word_char(ch: str) -> bool:
    return bool(ch) and (ch.isalnum() or ch in "_$")


def _refusal(words: list[str], *, explain: bool = False) -> str | None:
    """Why a statement is refused, or None when it only reads."""
    first = words[0]
    allowed = _QUERY_STATEMENTS if explain else _READ_STATEMENTS
    if first not in allowed:
        if first == "(":  # (SELECT ...) UNION (SELECT ...)
            rest = [w for w in words if w != "("]
            if rest and rest[0] in _QUERY_STATEMENTS:
                return _refusal(rest, explain=explain)
        if first == "copy":
            return "COPY"
        if first in ("begin", "start") and "write" in words:
            return "BEGIN READ WRITE"
        return f"{first.upper()} statement" if first.isidentifier() else "statement"
    if first == "explain":
        rest = words[1:]
        if rest[:1] == ["("]:
            close = rest.index(")") if ")" in rest else len(rest) - 1
            rest = rest[close + 1 :]
        while rest and rest[0] in _EXPLAIN_OPTIONS:
            rest = rest[1:]
        return _refusal(rest, explain=True) if rest else None
    if first in ("set", "reset"):
        touched = _GUARDED_SETTINGS.intersection(words)
        if touched:
            if "write" in words:
                return f"{first.upper()} ... READ WRITE"
            return f"{first.upper()} {', '.join(sorted(touched))}"
        return None
    for word in words:
        if word in _WRITE_WORDS:
            return "SELECT ... INTO" if word == "into" else f"{word.upper()}"
        if word in _WRITE_FUNCTIONS or word.startswith(_WRITE_FUNCTION_PREFIXES):
            return f"{word}()"
    return None


def check_read_only(text: str, target: str = "PostgreSQL") -> None:
    """Raise ReadOnlyViolation if ``text`` has a statement that could change the database.

    Example::

        check_read_only("SELECT 1")                            # fine
        check_read_only("WITH d AS (DELETE FROM t) SELECT 1")  # ReadOnlyViolation
    """
    for words in _statements(text):
        reason = _refusal(words)
        if reason is not None:
            raise ReadOnlyViolation(
                f"refused {reason} on {target}: the db fixture is read-only "
                "(pytest-deployready never changes a target)"
            )


def is_one_query(text: str) -> bool:
    """True when ``text`` is exactly one query (SELECT, WITH, VALUES or TABLE): what
    ``EXPLAIN`` may wrap.

    Example::

        is_one_query("(SELECT 1) UNION (SELECT 2)")  # True
        is_one_query("SHOW work_mem")                 # False
    """
    statements = _statements(text)
    return len(statements) == 1 and statements[0][0] in _QUERY_STATEMENTS | {"("}
