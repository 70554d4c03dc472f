"""Read-only PostgreSQL checks: the library behind the ``db`` fixture.

:class:`Database` wraps one psycopg 3 connection that is opened on first use, in a session
that PostgreSQL itself keeps read-only (``default_transaction_read_only=on``, every transaction
``BEGIN READ ONLY``), with a ``statement_timeout``. Statements that would change data or schema
are refused before they are sent (:class:`~pytest_deployready.errors.ReadOnlyViolation`, by
the guard in ``_sqlguard``), and every query runs in its own transaction that is rolled back
afterwards.

If the server cannot be reached, the first use raises one line —
``cannot reach PostgreSQL at db.internal:5432: connection refused`` — and every later use
raises the same line at once without trying again (``connect_attempts`` stays 1).

Examples, one per helper (``db`` is a :class:`Database`)::

    db = Database("postgresql://app:secret@db.internal:5432/shop")

    db.scalar("SELECT count(*) FROM purchase_orders WHERE status = %s", ["draft"])  # 1000
    db.rows("SELECT id, status FROM purchase_orders ORDER BY id LIMIT 2")
    # [{'id': 1, 'status': 'submitted'}, {'id': 2, 'status': 'approved'}]
    db.table_exists("purchase_orders")                     # True
    db.table_exists("_prisma_migrations", schema="prisma")  # also "prisma._prisma_migrations"
    db.columns("purchase_orders")["status"]                # 'text'
    [ix.name for ix in db.indexes("purchase_orders") if ix.name.startswith("idx_po_")]
    db.has_index("purchase_orders", name="idx_po_status_created")
    db.has_index("purchase_orders", columns=["status"])    # leading columns of a valid index
    db.extension_installed("vector")                        # pgvector present?
    db.extensions()                                         # {'plpgsql': '1.0', ...}
    db.setting("max_connections")                           # '100'
    db.server_version()                                     # '15.18 (Debian 15.18-0+deb12u1)'
    db.server_version_num >= 150000                         # "PostgreSQL 15+"
    m = db.migrations()                                     # tool detected from its table
    assert m.tool == "alembic" and m.latest == "c3d4e5f6a7b8" and not m.failed
    assert "012" in db.migrations(schema="legacy")          # schema_migrations 001..012
    plan = db.explain("SELECT * FROM purchase_orders WHERE buyer_company_id = %s", [7])
    assert plan.uses_index("idx_po_buyer_company"), plan    # str(plan) shows the plan tree
    assert "purchase_orders" not in plan.seq_scans
    db.explain("SELECT count(*) FROM companies", analyze=True).execution_time_ms
    db.connection_counts()          # {'active': 1, 'idle': 3, 'idle in transaction': 0, ...}
    db.connection_counts()["total"] < db.max_connections * 0.5
    db.slow_statements(limit=5, like="%purchase_orders%")   # skips without pg_stat_statements
    # [{'query': 'SELECT ...', 'calls': 12, 'mean_exec_time': 0.8, 'max_exec_time': 2.1, ...}]
    db.database_size()                                      # bytes
    db.table_row_estimate("purchase_orders")                # pg_class.reltuples, -1 if never
                                                            # analyzed
    db.close()
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import psycopg
import pytest
from psycopg import sql as pgsql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

from pytest_deployready._deadlines import Deadline, shutdown_socket
from pytest_deployready._redact import Redactor, url_host
from pytest_deployready._sqlguard import check_read_only, is_one_query
from pytest_deployready._target import Target
from pytest_deployready.errors import (
    AuthenticationFailed,
    DeployReadyError,
    ReadOnlyViolation,
    TargetTimeout,
    TargetUnreachable,
)
from pytest_deployready.postgres_results import Archiver, Index, Migrations, Plan, sql_snippet

__all__ = [
    "Archiver",
    "Database",
    "Index",
    "Migrations",
    "Plan",
    "StatementTimeout",
    "TableNotFound",
    "check_read_only",
]

Params = Sequence[Any] | Mapping[str, Any] | None

DEFAULT_PORT = 5432
# libpq and psycopg never wait less than 2 s for a connection, whatever connect_timeout says.
_MIN_EFFECTIVE_CONNECT_TIMEOUT = 2


class StatementTimeout(DeployReadyError):
    """A query ran longer than the ``statement_timeout`` and the server cancelled it.

    Example message: ``query on PostgreSQL at db:5432 (shop) cancelled after statement_timeout
    of 30 s: SELECT ...``.
    """


class TableNotFound(DeployReadyError, LookupError):
    """A helper was asked about a table that does not exist (or that the role cannot see).

    Example message: ``table "public.orders" does not exist in database shop``.
    """


# --------------------------------------------------------------------------------------------
# Connection errors, normalised to a few words
# --------------------------------------------------------------------------------------------

_WHY_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"password authentication failed for user \"[^\"]*\""), r"\g<0>"),
    (re.compile(r"fe_sendauth: no password supplied"), "authentication failed (no password given)"),
    (re.compile(r"database \"[^\"]*\" does not exist"), r"\g<0>"),
    (re.compile(r"role \"[^\"]*\" does not exist"), r"\g<0>"),
    (re.compile(r"failed to resolve host '([^']*)'"), r'could not resolve host "\1"'),
    (re.compile(r"could not translate host name \"([^\"]*)\""), r'could not resolve host "\1"'),
    (re.compile(r"connection refused", re.I), "connection refused"),
    (re.compile(r"no route to host", re.I), "no route to host"),
    (re.compile(r"network is unreachable", re.I), "network is unreachable"),
    (re.compile(r"no pg_hba\.conf entry[^\n]*"), r"\g<0>"),
    (re.compile(r"too many (?:clients|connections)[^\n]*"), r"\g<0>"),
    (re.compile(r"the database system is [a-z ]+"), r"\g<0>"),
    (re.compile(r"server closed the connection unexpectedly"), r"\g<0>"),
)
# A reached server that refused the credentials (not "cannot reach").
_AUTH_FAILED = re.compile(
    r"password authentication failed|authentication failed for user|no password supplied"
    r"|fe_sendauth|SCRAM authentication|password is required|certificate authentication failed",
    re.I,
)
_PREFIXES = re.compile(
    r"^(?:connection failed: )?(?:connection to server at [^\n]*?failed: )?(?:FATAL:\s+)?"
)


def _why(exc: BaseException, timeout_s: int, redactor: Redactor) -> str:
    """A short reason: ``connection refused``, ``timed out after 5 s``, ..."""
    if isinstance(exc, psycopg.errors.ConnectionTimeout) or "timeout expired" in str(exc):
        return f"timed out after {timeout_s} s"
    text = str(exc)
    for pattern, replacement in _WHY_PATTERNS:
        match = pattern.search(text)
        if match is not None:
            return redactor.redact(match.expand(replacement))
    first = next((line for line in text.splitlines() if line.strip()), type(exc).__name__)
    return redactor.redact(_PREFIXES.sub("", first.strip()).strip() or type(exc).__name__)


def _seconds(value: float) -> str:
    return f"{value:g}"


# --------------------------------------------------------------------------------------------
# Database
# --------------------------------------------------------------------------------------------


class Database(Target):
    """A lazy, read-only PostgreSQL connection with helpers for deployment checks.

    Example::

        db = Database("postgresql://app:secret@db.internal:5432/shop", statement_timeout=10)
        assert db.has_index("purchase_orders", columns=["buyer_company_id"])
        assert not db.migrations().failed
        db.close()
    """

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float = 5.0,
        statement_timeout: float = 30.0,
        name: str = "PostgreSQL",
    ) -> None:
        super().__init__()
        self.name = name
        self.connect_timeout = connect_timeout
        self.statement_timeout = statement_timeout
        self._url = url
        self._redactor = Redactor()
        self._redactor.add_url(url)
        try:
            self._params: dict[str, Any] = dict(conninfo_to_dict(url))
        except psycopg.Error:
            self._params = {}
        self._redactor.add(self._params.get("password"))
        self._conn: psycopg.Connection[dict[str, Any]] | None = None

    # -- identity ----------------------------------------------------------------------------

    @property
    def where(self) -> str:
        """``host:port`` of the target, without credentials."""
        if "://" in self._url:
            return url_host(self._url, DEFAULT_PORT)
        host = str(self._params.get("host") or "localhost")
        return f"{host}:{self._params.get('port') or DEFAULT_PORT}"

    @property
    def dbname(self) -> str:
        """The database name from the URL (the server's default when absent)."""
        if self._conn is not None and not self._conn.closed:
            return self._conn.info.dbname
        return str(self._params.get("dbname") or self._params.get("user") or "?")

    @property
    def _label(self) -> str:
        return f"{self.name} at {self.where}"

    @property
    def _target(self) -> str:
        return f"{self.name} at {self.where} ({self.dbname})"

    def __repr__(self) -> str:
        return f"<Database {self.name} at {self.where}/{self.dbname}>"

    # -- connection --------------------------------------------------------------------------

    @property
    def _connect_timeout_s(self) -> int:
        return max(1, math.ceil(self.connect_timeout))

    def _connection(self) -> psycopg.Connection[dict[str, Any]]:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        self._failures.check()
        self.connect_attempts += 1
        options = " ".join(
            part
            for part in (
                str(self._params.get("options") or ""),
                "-c default_transaction_read_only=on",
                f"-c statement_timeout={round(self.statement_timeout * 1000)}",
            )
            if part
        )
        try:
            conn = psycopg.connect(
                self._url,
                autocommit=False,
                prepare_threshold=None,
                row_factory=dict_row,
                connect_timeout=self._connect_timeout_s,
                options=options,
                application_name=str(self._params.get("application_name") or "pytest-deployready"),
            )
        except psycopg.Error as exc:
            raise self._failures.remember(self._connect_error(exc)) from None
        conn.read_only = True
        self._conn = conn
        self._failures.forget()
        return conn

    def _connect_error(self, exc: psycopg.Error) -> TargetUnreachable:
        """The one-line error of a failed connect: refused, timed out, or authentication."""
        effective = max(self._connect_timeout_s, _MIN_EFFECTIVE_CONNECT_TIMEOUT)
        why = _why(exc, effective, self._redactor)
        if why.startswith("timed out"):
            return TargetTimeout(f"{self.name} at {self.where}: connect {why}")
        if _AUTH_FAILED.search(str(exc)):
            return AuthenticationFailed(f"{self.name} at {self.where}: {why}")
        return TargetUnreachable(f"cannot reach {self.name} at {self.where}: {why}")

    def close(self) -> None:
        """Close the connection (a later call connects again).

        Example::

            db.close()
        """
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __del__(self) -> None:
        # Close quietly instead of leaving psycopg to warn about an open connection.
        conn = getattr(self, "_conn", None)
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- running statements ------------------------------------------------------------------

    def _run(self, query: str | pgsql.Composable, params: Params = None) -> list[dict[str, Any]]:
        """Run one trusted statement in its own read-only transaction, then roll back."""
        conn = self._connection()
        text = query if isinstance(query, str) else query.as_string(conn)
        try:
            with self._query_deadline().watch(abort=partial(shutdown_socket, conn.pgconn.socket)):
                return self._execute(conn, text, params)
        except TargetTimeout as exc:
            # Reached, then silent: this call errors and the connection is dropped (the
            # next call connects again); an unreachable server is remembered on connect.
            self._conn = None
            with contextlib.suppress(Exception):
                conn.close()
            raise TargetTimeout(f"{exc} ({self._redactor.redact(sql_snippet(text))})") from None

    def _query_deadline(self) -> Deadline:
        """statement_timeout for the server to cancel the query, plus connect_timeout for it to
        say so: past that the server or the network is not answering."""
        return Deadline(
            self.statement_timeout + self.connect_timeout, f"{self._label} ({self.dbname})", "query"
        )

    def _execute(
        self, conn: psycopg.Connection[dict[str, Any]], text: str, params: Params
    ) -> list[dict[str, Any]]:
        try:
            with conn.cursor() as cur:
                cur.execute(text, params)
                result: list[dict[str, Any]] = []
                while True:  # several statements: the last one that returns rows wins
                    if cur.description is not None:
                        result = cur.fetchall()
                    if not cur.nextset():
                        return result
        except psycopg.errors.ReadOnlySqlTransaction as exc:
            raise ReadOnlyViolation(
                f"{self.name} at {self.where} refused a write in the read-only session: "
                f"{exc.diag.message_primary or exc}"
            ) from None
        except psycopg.errors.QueryCanceled as exc:
            if "statement timeout" not in str(exc):
                raise
            raise StatementTimeout(
                f"query on {self.name} at {self.where} ({self.dbname}) cancelled after "
                f"statement_timeout of {_seconds(self.statement_timeout)} s: "
                f"{self._redactor.redact(sql_snippet(text))}"
            ) from None
        except psycopg.OperationalError as exc:
            if not conn.broken:
                raise
            self._conn = None
            why = _why(exc, self._connect_timeout_s, self._redactor)
            raise TargetUnreachable(
                f"lost connection to {self.name} at {self.where}: {why}"
            ) from None
        finally:
            if not conn.closed and not conn.broken:
                conn.rollback()

    def rows(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        """Run a read-only query and return its rows as dicts.

        Example::

            db.rows("SELECT indexname FROM pg_indexes WHERE tablename = %s", ["purchase_orders"])
        """
        check_read_only(sql, self._target)
        return self._run(sql, params)

    def scalar(self, sql: str, params: Params = None) -> Any:
        """The first column of the first row (None when there is no row).

        Example::

            assert db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'idx_%'") >= 14
        """
        result = self.rows(sql, params)
        if not result:
            return None
        return next(iter(result[0].values()), None)

    # -- schema ------------------------------------------------------------------------------

    @staticmethod
    def _split(table: str, schema: str) -> tuple[str, str]:
        if "." in table and schema == "public":
            head, _, tail = table.partition(".")
            return head, tail
        return schema, table

    def _regclass(self, table: str, schema: str) -> int | None:
        schema, table = self._split(table, schema)
        oid = self._run(
            "SELECT to_regclass(quote_ident(%s) || '.' || quote_ident(%s))::oid AS oid",
            [schema, table],
        )[0]["oid"]
        return None if oid is None else int(oid)

    def _require_table(self, table: str, schema: str) -> int:
        oid = self._regclass(table, schema)
        if oid is None:
            schema, table = self._split(table, schema)
            raise TableNotFound(
                f'table "{schema}.{table}" does not exist in database {self.dbname} '
                f"on {self.where} (or {self._params.get('user') or 'the role'} cannot see it)"
            )
        return oid

    def table_exists(self, name: str, schema: str = "public") -> bool:
        """True when the table (or view) exists; ``name`` may be ``schema.table``.

        Example::

            assert db.table_exists("purchase_orders")
        """
        oid = self._regclass(name, schema)
        if oid is None:
            return False
        kind = self._run("SELECT relkind::text AS kind FROM pg_class WHERE oid = %s", [oid])
        return bool(kind) and kind[0]["kind"] in ("r", "p", "v", "m", "f")

    def columns(self, table: str, schema: str = "public") -> dict[str, str]:
        """Column name -> SQL type, in table order.

        Example::

            assert db.columns("purchase_orders")["created_at"] == "timestamp with time zone"
        """
        oid = self._require_table(table, schema)
        result = self._run(
            "SELECT attname AS name, format_type(atttypid, atttypmod) AS type"
            " FROM pg_attribute WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped"
            " ORDER BY attnum",
            [oid],
        )
        return {str(r["name"]): str(r["type"]) for r in result}

    def indexes(self, table: str, schema: str = "public") -> list[Index]:
        """Every index of a table, by name; ``columns`` holds key columns or expressions.

        Example::

            names = {ix.name for ix in db.indexes("purchase_orders")}
            assert {"idx_po_buyer_company", "idx_po_status_created"} <= names
        """
        oid = self._require_table(table, schema)
        result = self._run(
            "SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition,"
            " ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)"
            "       FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k) AS columns,"
            " i.indisunique AS unique, i.indisprimary AS primary,"
            " (i.indisvalid AND i.indisready) AS valid"
            " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " WHERE i.indrelid = %s ORDER BY c.relname",
            [oid],
        )
        return [
            Index(
                name=str(r["name"]),
                definition=str(r["definition"]),
                columns=[str(c) for c in r["columns"]],
                unique=bool(r["unique"]),
                primary=bool(r["primary"]),
                valid=bool(r["valid"]),
            )
            for r in result
        ]

    def has_index(
        self,
        table: str,
        *,
        name: str | None = None,
        columns: Sequence[str] | str | None = None,
        schema: str = "public",
    ) -> bool:
        """True when a *valid* index matches ``name`` and/or starts with ``columns``.

        ``columns`` matches the leading key columns, so an index on ``(status, created_at)``
        serves ``columns=["status"]``. Invalid indexes (a failed ``CREATE INDEX CONCURRENTLY``)
        never count.

        Example::

            assert db.has_index("purchase_orders", columns=["status", "created_at"])
        """
        if name is None and columns is None:
            raise ValueError("has_index() needs name=... or columns=...")
        wanted = [columns] if isinstance(columns, str) else list(columns or [])
        for ix in self.indexes(table, schema):
            if not ix.valid:
                continue
            if name is not None and ix.name != name:
                continue
            if wanted and ix.columns[: len(wanted)] != wanted:
                continue
            return True
        return False

    def extensions(self) -> dict[str, str]:
        """Installed extensions of the current database: name -> version.

        Example::

            assert "vector" in db.extensions(), db.extensions()
        """
        result = self._run("SELECT extname, extversion FROM pg_extension ORDER BY extname")
        return {str(r["extname"]): str(r["extversion"]) for r in result}

    def extension_installed(self, name: str) -> bool:
        """True when ``CREATE EXTENSION name`` has been run in this database.

        Example::

            assert db.extension_installed("vector"), "pgvector is required"
        """
        return name in self.extensions()

    def setting(self, name: str) -> str:
        """The current value of a server setting, as ``SHOW`` prints it.

        Example::

            assert db.setting("log_min_duration_statement") != "-1"  # slow query log on
        """
        return str(self._run("SELECT current_setting(%s) AS value", [name])[0]["value"])

    def server_version(self) -> str:
        """The server version string, e.g. ``'15.18 (Debian 15.18-0+deb12u1)'``.

        Example::

            print(db.server_version())
        """
        return self.setting("server_version")

    @property
    def server_version_num(self) -> int:
        """The server version as a number: 150018 for 15.18.

        Example::

            assert db.server_version_num >= 150000, "PostgreSQL 15+ required"
        """
        return int(self._connection().info.server_version)

    @property
    def max_connections(self) -> int:
        """The server's ``max_connections``.

        Example::

            assert db.connection_counts()["total"] < 0.5 * db.max_connections
        """
        return int(self.setting("max_connections"))

    # -- migrations --------------------------------------------------------------------------

    _MIGRATION_TABLES: tuple[tuple[str, str], ...] = (
        ("alembic", "alembic_version"),
        ("flyway", "flyway_schema_history"),
        ("prisma", "_prisma_migrations"),
        ("schema_migrations", "schema_migrations"),
    )

    def migrations(self, schema: str | None = None) -> Migrations:
        """Applied migrations, with the tool detected from the table that exists.

        Looks for ``alembic_version``, ``flyway_schema_history``, ``_prisma_migrations`` and
        ``schema_migrations`` in that order, on the search path or in ``schema``.

        Example::

            m = db.migrations()
            assert m.tool == "alembic" and m.latest == "c3d4e5f6a7b8"
            assert not db.migrations(schema="flyway").failed
        """
        for tool, table in self._MIGRATION_TABLES:
            if schema is None:
                found = self._run(
                    "SELECT n.nspname, c.relname FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE c.oid = to_regclass(quote_ident(%s))",
                    [table],
                )
            else:
                found = self._run(
                    "SELECT n.nspname, c.relname FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = %s AND c.relname = %s",
                    [schema, table],
                )
            if found:
                ident = pgsql.Identifier(found[0]["nspname"], found[0]["relname"])
                qualified = f"{found[0]['nspname']}.{found[0]['relname']}"
                return self._read_migrations(tool, qualified, ident)
        return Migrations(tool=None, table=None)

    def _read_migrations(self, tool: str, table: str, ident: pgsql.Identifier) -> Migrations:
        applied: list[str]
        failed: list[str]
        if tool == "alembic":
            rows = self._run(
                pgsql.SQL("SELECT version_num::text AS v FROM {} ORDER BY 1").format(ident)
            )
            applied, failed = [str(r["v"]) for r in rows], []
        elif tool == "flyway":
            rows = self._run(
                pgsql.SQL(
                    "SELECT version, description, success FROM {}"
                    " WHERE version IS NOT NULL ORDER BY installed_rank"
                ).format(ident)
            )
            applied = [str(r["version"]) for r in rows if r["success"]]
            failed = [str(r["version"]) for r in rows if not r["success"]]
            failed = [v for v in failed if v not in applied]
        elif tool == "prisma":
            rows = self._run(
                pgsql.SQL(
                    "SELECT migration_name AS name,"
                    " (finished_at IS NOT NULL AND rolled_back_at IS NULL) AS ok"
                    " FROM {} ORDER BY started_at, migration_name"
                ).format(ident)
            )
            applied = [str(r["name"]) for r in rows if r["ok"]]
            failed = []
            for r in rows:
                name = str(r["name"])
                if not r["ok"] and name not in applied and name not in failed:
                    failed.append(name)
        else:
            cols = self._run(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass"
                " AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                [ident.as_string(self._connection())],
            )
            names = [str(c["attname"]) for c in cols]
            version = "version" if "version" in names else names[0]
            dirty = pgsql.SQL("dirty") if "dirty" in names else pgsql.SQL("false")
            rows = self._run(
                pgsql.SQL("SELECT {}::text AS v, {} AS dirty FROM {} ORDER BY {}").format(
                    pgsql.Identifier(version), dirty, ident, pgsql.Identifier(version)
                )
            )
            applied = [str(r["v"]) for r in rows if not r["dirty"]]
            failed = [str(r["v"]) for r in rows if r["dirty"]]
        return Migrations(
            tool=tool,
            table=table,
            applied=applied,
            latest=applied[-1] if applied else None,
            failed=failed,
        )

    # -- plans -------------------------------------------------------------------------------

    def explain(self, sql: str, params: Params = None, analyze: bool = False) -> Plan:
        """The plan of a query (``EXPLAIN (FORMAT JSON)``); ``analyze=True`` also runs it.

        Only queries (SELECT, WITH, VALUES, TABLE) can be explained; with ``analyze`` the
        query runs inside the read-only transaction, which is rolled back.

        Example::

            plan = db.explain("SELECT * FROM purchase_orders WHERE status = %s", ["draft"])
            assert plan.uses_index("idx_po_status_created"), plan
        """
        check_read_only(sql, self._target)
        if not is_one_query(sql):
            raise ValueError(
                "explain() takes one query (SELECT, WITH, VALUES or TABLE), not: "
                + sql_snippet(sql)
            )
        options = "FORMAT JSON, ANALYZE, BUFFERS" if analyze else "FORMAT JSON"
        result = self._run(f"EXPLAIN ({options}) {sql}", params)
        document = next(iter(result[0].values()))
        if isinstance(document, str):  # json returned as text by a custom adapter setup
            document = json.loads(document)
        return Plan(sql=sql, raw=dict(document[0]), analyzed=analyze)

    # -- activity ----------------------------------------------------------------------------

    def connection_counts(self, all_databases: bool = False) -> dict[str, int]:
        """Client connections by state from ``pg_stat_activity``, plus ``"total"``.

        Counts this database's client backends (``all_databases=True``: the whole server),
        this check's own connection included. States of other roles' sessions show as
        ``"unknown"`` unless the role has ``pg_monitor``/``pg_read_all_stats``.

        Example::

            counts = db.connection_counts()
            assert counts["idle in transaction"] == 0
            assert counts["total"] < 0.5 * db.max_connections
        """
        where = "" if all_databases else " AND datname = current_database()"
        result = self._run(
            "SELECT coalesce(state, 'unknown') AS state, count(*) AS n FROM pg_stat_activity"
            " WHERE backend_type = 'client backend'" + where + " GROUP BY 1 ORDER BY 1"
        )
        counts = {"active": 0, "idle": 0, "idle in transaction": 0}
        for r in result:
            counts[str(r["state"])] = int(r["n"])
        counts["total"] = sum(int(r["n"]) for r in result)
        return counts

    def slow_statements(self, limit: int = 10, like: str | None = None) -> list[dict[str, Any]]:
        """The slowest statements by mean time from ``pg_stat_statements`` (current database).

        Each row has ``query``, ``calls``, ``total_exec_time``, ``mean_exec_time``,
        ``max_exec_time`` (milliseconds, PostgreSQL 13+ names on every version) and ``rows``.
        ``like`` filters the query text (``"%purchase_orders%"``). When the extension is not
        installed (or not preloaded) the calling check is skipped with the reason.

        Example::

            for s in db.slow_statements(limit=5, like="%ai_messages%"):
                assert s["mean_exec_time"] < 200, s["query"]
        """
        if not self.extension_installed("pg_stat_statements"):
            raise pytest.skip.Exception(
                f"pg_stat_statements is not installed in database {self.dbname} on "
                f"{self.where}: run CREATE EXTENSION pg_stat_statements there (with "
                "shared_preload_libraries = 'pg_stat_statements') to check slow statements"
            )
        if self.server_version_num >= 130000:
            times = "total_exec_time, mean_exec_time, max_exec_time"
        else:
            times = (
                "total_time AS total_exec_time, mean_time AS mean_exec_time,"
                " max_time AS max_exec_time"
            )
        filter_sql = " AND query LIKE %(like)s" if like is not None else ""
        query = (
            f"SELECT query, calls, {times}, rows FROM pg_stat_statements"
            " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
            f"{filter_sql} ORDER BY mean_exec_time DESC LIMIT %(limit)s"
        )
        try:
            result = self._run(query, {"like": like, "limit": int(limit)})
        except psycopg.errors.ObjectNotInPrerequisiteState as exc:
            raise pytest.skip.Exception(
                f"pg_stat_statements is installed in database {self.dbname} on {self.where} "
                f"but not loaded ({exc.diag.message_primary}): add it to "
                "shared_preload_libraries and restart to check slow statements"
            ) from None
        return [
            {
                "query": str(r["query"]),
                "calls": int(r["calls"]),
                "total_exec_time": float(r["total_exec_time"]),
                "mean_exec_time": float(r["mean_exec_time"]),
                "max_exec_time": float(r["max_exec_time"]),
                "rows": int(r["rows"]),
            }
            for r in result
        ]

    # -- sizes -------------------------------------------------------------------------------

    def database_size(self) -> int:
        """Size of the current database in bytes.

        Example::

            assert db.database_size() < 50 * 1024**3
        """
        return int(self._run("SELECT pg_database_size(current_database()) AS n")[0]["n"])

    # -- backups -----------------------------------------------------------------------------

    def archiver(self) -> Archiver:
        """WAL archiving: mode, last archived segment and when, failures (``pg_stat_archiver``).

        Example::

            archiver = db.archiver()
            assert archiver.enabled, "archive_mode is off: no point-in-time recovery"
            assert not archiver.failing, f"archiving fails since {archiver.last_failed_at}"
            thresholds.check("wal_archive_age_s", archiver.last_archived_age_s)
        """
        row = self._run(
            "SELECT current_setting('archive_mode') AS mode, archived_count, last_archived_wal,"
            " last_archived_time, failed_count, last_failed_wal, last_failed_time,"
            " now() AS checked_at FROM pg_stat_archiver"
        )[0]
        return Archiver(
            mode=str(row["mode"]),
            archived_count=int(row["archived_count"]),
            last_archived_wal=row["last_archived_wal"],
            last_archived_at=row["last_archived_time"],
            failed_count=int(row["failed_count"]),
            last_failed_wal=row["last_failed_wal"],
            last_failed_at=row["last_failed_time"],
            checked_at=row["checked_at"],
        )

    def table_row_estimate(self, table: str, schema: str = "public") -> int:
        """The planner's row estimate (``pg_class.reltuples``); -1 if never analyzed.

        Cheap on big tables, where ``count(*)`` is not.

        Example::

            assert db.table_row_estimate("purchase_orders") > 1000
        """
        oid = self._require_table(table, schema)
        return int(
            self._run("SELECT reltuples::bigint AS n FROM pg_class WHERE oid = %s", [oid])[0]["n"]
        )
