"""Session fixtures that start a real postgres server for the tests.

``pg_server`` starts PostgreSQL 15 (the machine's ``pg_ctl``, driven by pytest-postgresql's
``PostgreSQLExecutor``) on 127.0.0.1 on a free port, in a private temporary directory, and seeds:

* database ``shop``: ``purchase_orders`` (5000 rows, several indexes including a composite, a
  partial, an expression and one *invalid* index left by a failed ``CREATE INDEX
  CONCURRENTLY``), ``companies``, ``alembic_version``, a SQL function that writes;
  ``pg_stat_statements`` is *not* installed there;
* database ``registry``: ``flyway_schema_history`` (one failed row), ``prisma._prisma_migrations``
  (one rolled back, one unfinished), ``legacy.schema_migrations`` (Rails style, 001-012) and the
  ``pg_stat_statements`` extension (the server preloads the library).

Role ``app`` logs in with a password over TCP (``scram-sha-256``); it has write privileges on the
seeded tables, so only the read-only session keeps the tests from changing anything.

Example::

    def test_something(pg_server: PgServer) -> None:
        db = Database(pg_server.url)
        before = pg_server.checksum()
        ...
        assert pg_server.checksum() == before
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from pytest_postgresql.executors import PostgreSQLExecutor

__all__ = [
    "ADMIN_PASSWORD",
    "APP_PASSWORD",
    "APP_USER",
    "MAIN_DB",
    "REGISTRY_DB",
    "PgServer",
    "pg_server",
]

PG_BIN = Path(os.environ.get("DEPLOYREADY_PG_BIN", "/usr/lib/postgresql/15/bin"))
HOST = "127.0.0.1"
APP_USER = "app"
APP_PASSWORD = "s3cr3t-pg-pass"
ADMIN_USER = "postgres"
ADMIN_PASSWORD = "adm1n-pg-pass-9f2"
MAIN_DB = "shop"
REGISTRY_DB = "registry"
START_TIMEOUT_S = 60
# Unprivileged accounts that may run the server when the tests run as root.
_RUN_AS_CANDIDATES = ("postgres", "nobody")


@dataclass(frozen=True)
class PgServer:
    """A running test server: URLs for the read-only checks and for seeding/verification.

    Example::

        Database(pg_server.url).table_exists("purchase_orders")
        pg_server.checksum()  # digest of every table, index, sequence and role
    """

    host: str
    port: int
    url: str
    registry_url: str
    admin_url: str
    workdir: Path
    logfile: Path
    archive_dir: Path  # where archive_command copies WAL segments

    def app_url(self, dbname: str, *, password: str = APP_PASSWORD, user: str = APP_USER) -> str:
        """URL of ``dbname`` for a given user and password (defaults: the ``app`` role)."""
        return f"postgresql://{user}:{password}@{self.host}:{self.port}/{dbname}"

    def admin_url_for(self, dbname: str) -> str:
        """Superuser URL of ``dbname``; for seeding and verification in tests only."""
        return self.app_url(dbname, user=ADMIN_USER, password=ADMIN_PASSWORD)

    def checksum(self) -> str:
        """Digest of the whole cluster's user-visible state (all databases, roles, settings)."""
        digest = hashlib.sha256()
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as conn:
            for row in conn.execute(
                "SELECT rolname, rolsuper, rolcanlogin, rolpassword IS NOT NULL"
                " FROM pg_authid ORDER BY rolname"
            ):
                digest.update(repr(row).encode())
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname"
            ):
                digest.update(repr(row).encode())
            for row in conn.execute(
                "SELECT setdatabase, setrole, setconfig FROM pg_db_role_setting ORDER BY 1, 2"
            ):
                digest.update(repr(row).encode())
            databases = [
                r[0]
                for r in conn.execute(
                    "SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname"
                )
            ]
        for dbname in databases:
            digest.update(self.checksum_db(dbname).encode())
        return digest.hexdigest()

    def checksum_db(self, dbname: str) -> str:
        """Digest of one database: every relation, its rows, index definitions, sequences."""
        digest = hashlib.sha256()
        with psycopg.connect(
            self.admin_url_for(dbname), autocommit=True, connect_timeout=10
        ) as conn:
            relations = conn.execute(
                "SELECT n.nspname, c.relname, c.relkind::text,"
                " CASE WHEN c.relkind = 'i' THEN pg_get_indexdef(c.oid) END,"
                " (SELECT indisvalid FROM pg_index WHERE indexrelid = c.oid)"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
                " AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'"
                " ORDER BY 1, 2"
            ).fetchall()
            for schema, name, kind, indexdef, valid in relations:
                digest.update(repr((schema, name, kind, indexdef, valid)).encode())
                ident = sql.Identifier(schema, name)
                if kind in ("r", "p", "m"):
                    query = sql.SQL(
                        "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n'"
                        " ORDER BY t::text), '')) FROM {} t"
                    ).format(ident)
                    digest.update(repr(conn.execute(query).fetchone()).encode())
                elif kind == "S":
                    query = sql.SQL("SELECT last_value, is_called FROM {}").format(ident)
                    digest.update(repr(conn.execute(query).fetchone()).encode())
            for row in conn.execute("SELECT extname, extversion FROM pg_extension ORDER BY 1"):
                digest.update(repr(row).encode())
            for row in conn.execute(
                "SELECT p.proname, p.prosrc FROM pg_proc p"
                " JOIN pg_namespace n ON n.oid = p.pronamespace"
                " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
            ):
                digest.update(repr(row).encode())
        return digest.hexdigest()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _run_as_user() -> pwd.struct_passwd | None:
    """The unprivileged account to run the server as when we are root, else None."""
    if os.geteuid() != 0:
        return None
    for name in _RUN_AS_CANDIDATES:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    pytest.fail(
        "running as root and no unprivileged user to run PostgreSQL as "
        f"(tried {', '.join(_RUN_AS_CANDIDATES)}): create one or run `make bootstrap`",
        pytrace=False,
    )


def _require_binaries() -> None:
    if not ((PG_BIN / "pg_ctl").is_file() and (PG_BIN / "postgres").is_file()):
        pytest.fail(
            f"PostgreSQL 15 binaries not found in {PG_BIN} (pg_ctl, postgres): "
            "run `make bootstrap` (or set DEPLOYREADY_PG_BIN)",
            pytrace=False,
        )


def _pg_ctl(workdir: Path, run_as: pwd.struct_passwd | None) -> str:
    """Path of pg_ctl, or of a wrapper that runs it as ``run_as`` (postgres refuses root)."""
    pg_ctl = PG_BIN / "pg_ctl"
    if run_as is None:
        return str(pg_ctl)
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    if not Path(runuser).is_file():
        pytest.fail("running as root but `runuser` is missing: run `make bootstrap`", pytrace=False)
    wrapper = workdir / "pg_ctl-as-user"
    wrapper.write_text(f'#!/bin/sh\nexec {runuser} -u {run_as.pw_name} -- {pg_ctl} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


_PG_HBA = """\
# Written by tests/servers/postgres.py: socket for seeding, passwords over TCP.
local   all   all                 trust
host    all   all   127.0.0.1/32  scram-sha-256
"""

_SHOP_SQL = f"""
CREATE TABLE companies (id integer PRIMARY KEY, name text NOT NULL);
INSERT INTO companies SELECT g, 'company ' || g FROM generate_series(1, 50) g;

CREATE TABLE purchase_orders (
    id bigserial PRIMARY KEY,
    po_number text NOT NULL UNIQUE,
    buyer_company_id integer NOT NULL REFERENCES companies (id),
    seller_company_id integer NOT NULL REFERENCES companies (id),
    product_id integer,
    status text NOT NULL DEFAULT 'draft',
    total_cents bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_po_buyer_company ON purchase_orders (buyer_company_id);
CREATE INDEX idx_po_seller_company ON purchase_orders (seller_company_id);
CREATE INDEX idx_po_status_created ON purchase_orders (status, created_at DESC);
CREATE INDEX idx_po_product ON purchase_orders (product_id) WHERE product_id IS NOT NULL;
CREATE INDEX idx_po_number_lower ON purchase_orders (lower(po_number));
INSERT INTO purchase_orders
    (po_number, buyer_company_id, seller_company_id, product_id, status, total_cents, created_at)
SELECT 'PO-' || lpad(g::text, 6, '0'), 1 + g % 50, 1 + (g * 7) % 50,
       CASE WHEN g % 3 = 0 THEN NULL ELSE g % 400 END,
       (ARRAY['draft', 'submitted', 'approved', 'shipped', 'cancelled'])[1 + g % 5],
       g * 100, timestamptz '2024-01-01 00:00+00' + g * interval '1 hour'
FROM generate_series(1, 5000) g;

CREATE TABLE alembic_version (
    version_num varchar(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO alembic_version VALUES ('c3d4e5f6a7b8');

CREATE FUNCTION touch_purchase_orders() RETURNS bigint LANGUAGE sql AS
    $$ UPDATE purchase_orders SET total_cents = total_cents + 1 WHERE id = 1 RETURNING id $$;

GRANT ALL ON ALL TABLES IN SCHEMA public TO {APP_USER};
GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {APP_USER};
GRANT CREATE ON SCHEMA public TO {APP_USER};
"""

# Left behind as INVALID: a unique index over duplicated values, built CONCURRENTLY.
_SHOP_INVALID_INDEX = (
    "CREATE UNIQUE INDEX CONCURRENTLY idx_po_status_unique ON purchase_orders (status)"
)

_REGISTRY_SQL = f"""
CREATE EXTENSION pg_stat_statements;

CREATE TABLE flyway_schema_history (
    installed_rank integer NOT NULL PRIMARY KEY,
    version varchar(50),
    description varchar(200) NOT NULL,
    type varchar(20) NOT NULL,
    script varchar(1000) NOT NULL,
    checksum integer,
    installed_by varchar(100) NOT NULL,
    installed_on timestamp NOT NULL DEFAULT now(),
    execution_time integer NOT NULL,
    success boolean NOT NULL
);
INSERT INTO flyway_schema_history
    (installed_rank, version, description, type, script, checksum, installed_by,
     execution_time, success)
VALUES
    (1, '1', 'create tables', 'SQL', 'V1__create_tables.sql', 11, 'deploy', 40, true),
    (2, '1.1', 'add indexes', 'SQL', 'V1_1__add_indexes.sql', 12, 'deploy', 35, true),
    (3, NULL, 'refresh views', 'SQL', 'R__refresh_views.sql', 13, 'deploy', 5, true),
    (4, '2', 'add audit log', 'SQL', 'V2__add_audit_log.sql', 14, 'deploy', 80, false);

CREATE SCHEMA prisma;
CREATE TABLE prisma._prisma_migrations (
    id varchar(36) PRIMARY KEY,
    checksum varchar(64) NOT NULL,
    finished_at timestamptz,
    migration_name varchar(255) NOT NULL,
    logs text,
    rolled_back_at timestamptz,
    started_at timestamptz NOT NULL DEFAULT now(),
    applied_steps_count integer NOT NULL DEFAULT 0
);
INSERT INTO prisma._prisma_migrations
    (id, checksum, finished_at, migration_name, rolled_back_at, started_at, applied_steps_count)
VALUES
    ('m1', 'c1', '2024-01-01 00:01+00', '20240101000000_init', NULL, '2024-01-01 00:00+00', 1),
    ('m2', 'c2', '2024-02-01 00:01+00', '20240201000000_orders', NULL, '2024-02-01 00:00+00', 1),
    ('m3', 'c3', NULL, '20240301000000_bad_index', '2024-03-01 00:05+00',
        '2024-03-01 00:00+00', 0),
    ('m4', 'c4', NULL, '20240315000000_audit', NULL, '2024-03-15 00:00+00', 0);

CREATE SCHEMA legacy;
CREATE TABLE legacy.schema_migrations (version varchar(255) PRIMARY KEY);
INSERT INTO legacy.schema_migrations
    SELECT lpad(g::text, 3, '0') FROM generate_series(1, 12) g;

GRANT USAGE ON SCHEMA prisma, legacy TO {APP_USER};
GRANT SELECT ON ALL TABLES IN SCHEMA public, prisma, legacy TO {APP_USER};
"""


def _wait_ready(socket_dir: Path, port: int, timeout: float = START_TIMEOUT_S) -> None:
    """Wait until the server accepts sessions (it listens before it finishes starting up)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(
                host=str(socket_dir),
                port=port,
                user=ADMIN_USER,
                dbname="postgres",
                connect_timeout=5,
            ) as conn:
                conn.execute("SELECT 1")
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _seed(socket_dir: Path, port: int) -> None:
    """Create roles and databases through the trusted Unix socket."""

    def connect(dbname: str) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=str(socket_dir),
            port=port,
            user=ADMIN_USER,
            dbname=dbname,
            autocommit=True,
            connect_timeout=10,
        )

    with connect("postgres") as conn:
        conn.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(ADMIN_USER), sql.Literal(ADMIN_PASSWORD)
            )
        )
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE pg_monitor").format(
                sql.Identifier(APP_USER), sql.Literal(APP_PASSWORD)
            )
        )
        for dbname in (MAIN_DB, REGISTRY_DB):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    with connect(MAIN_DB) as conn:
        conn.execute(_SHOP_SQL)
        # Expected to fail: the index stays behind, marked invalid.
        with contextlib.suppress(psycopg.errors.UniqueViolation):
            conn.execute(_SHOP_INVALID_INDEX)
        conn.execute("ANALYZE")
    with connect(REGISTRY_DB) as conn:
        conn.execute(_REGISTRY_SQL)
        conn.execute("ANALYZE")


def _worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A seeded PostgreSQL 15 on 127.0.0.1, stopped and removed at the end of the session.

    Example::

        def test_indexes(pg_server: PgServer) -> None:
            assert Database(pg_server.url).has_index("purchase_orders", name="idx_po_product")
    """
    _require_binaries()
    run_as = _run_as_user()
    workdir = Path(tempfile.mkdtemp(prefix=f"deployready-pg-{_worker_id()}-"))
    workdir.chmod(0o755)
    if run_as is not None:
        os.chown(workdir, run_as.pw_uid, run_as.pw_gid)
    datadir = workdir / "data"
    logfile = workdir / "postgresql.log"
    port = _free_port()
    executor = PostgreSQLExecutor(
        executable=_pg_ctl(workdir, run_as),
        host=HOST,
        port=port,
        datadir=str(datadir),
        unixsocketdir=str(workdir),
        logfile=str(logfile),
        startparams="-w",
        dbname="postgres",
        user=ADMIN_USER,
        timeout=START_TIMEOUT_S,
        postgres_options=(
            f"-c listen_addresses={HOST} -c shared_preload_libraries=pg_stat_statements"
            " -c password_encryption=scram-sha-256 -c fsync=off"
        ),
    )
    try:
        executor.init_directory()
        (datadir / "pg_hba.conf").write_text(_PG_HBA)  # keeps the file's owner
        # WAL archiving on, into the work dir: db.archiver() has something real to report.
        archive = workdir / "wal-archive"
        archive.mkdir()
        if run_as is not None:
            os.chown(archive, run_as.pw_uid, run_as.pw_gid)
        with (datadir / "postgresql.conf").open("a") as conf:
            conf.write(f"\narchive_mode = on\narchive_command = 'cp %p {archive}/%f'\n")
        executor.start()
        _wait_ready(workdir, port)
        _seed(workdir, port)
    except Exception as exc:
        log = logfile.read_text(errors="replace")[-2000:] if logfile.exists() else ""
        _stop(executor, workdir)
        pytest.fail(
            f"could not start the test PostgreSQL on {HOST}:{port}: {exc}\n{log}", pytrace=False
        )
    main = PgServer(
        host=HOST,
        port=port,
        url=f"postgresql://{APP_USER}:{APP_PASSWORD}@{HOST}:{port}/{MAIN_DB}",
        registry_url=f"postgresql://{APP_USER}:{APP_PASSWORD}@{HOST}:{port}/{REGISTRY_DB}",
        admin_url=f"postgresql://{ADMIN_USER}:{ADMIN_PASSWORD}@{HOST}:{port}/postgres",
        workdir=workdir,
        logfile=logfile,
        archive_dir=workdir / "wal-archive",
    )
    try:
        yield main
    finally:
        _stop(executor, workdir)


def _stop(executor: PostgreSQLExecutor, workdir: Path) -> None:
    try:
        if executor.running():
            executor.stop()
    finally:
        for _ in range(10):  # a server that was still starting may write for a moment
            shutil.rmtree(workdir, ignore_errors=True)
            if not workdir.exists():
                break
            time.sleep(0.2)
