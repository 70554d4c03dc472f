"""What the ``db`` fixture's helpers return: indexes, migrations, WAL archiving, query plans.

Example::

    plan = db.explain("SELECT * FROM purchase_orders WHERE id = %s", [1])
    assert plan.uses_index("purchase_orders_pkey"), plan
    assert not db.migrations().failed
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["Archiver", "Index", "Migrations", "Plan"]


@dataclass(frozen=True)
class Index:
    """One index of a table, as returned by :meth:`Database.indexes`.

    Example::

        ix = next(i for i in db.indexes("purchase_orders") if i.name == "idx_po_status_created")
        assert ix.columns == ["status", "created_at"] and ix.valid
    """

    name: str
    definition: str
    columns: list[str]
    unique: bool
    primary: bool
    valid: bool


@dataclass(frozen=True)
class Migrations:
    """Applied schema migrations, as found by :meth:`Database.migrations`.

    ``tool`` is ``"alembic"``, ``"flyway"``, ``"prisma"``, ``"schema_migrations"`` or ``None``
    when no migration table exists; ``applied`` lists version ids in the order applied
    (Alembic records only its current head(s)); ``failed`` lists Flyway rows with
    ``success = false``, Prisma migrations rolled back or never finished, and dirty
    ``schema_migrations`` rows (golang-migrate).

    Example::

        m = db.migrations()
        assert m.tool == "flyway" and not m.failed, m.failed
        assert "2" in m  # version 2 applied
    """

    tool: str | None
    table: str | None
    applied: list[str] = field(default_factory=list)
    latest: str | None = None
    failed: list[str] = field(default_factory=list)

    def __contains__(self, version: object) -> bool:
        return version in self.applied


@dataclass(frozen=True)
class Archiver:
    """WAL archiving as ``pg_stat_archiver`` reports it (:meth:`Database.archiver`).

    ``last_archived_age_s`` is how long ago the last WAL segment was archived (None if none
    ever was): the freshness of point-in-time recovery. ``failing`` is true when the last
    attempt failed after the last success.

    Example::

        a = db.archiver()
        assert a.enabled and not a.failing, a
        thresholds.check("wal_archive_age_s", a.last_archived_age_s)
    """

    mode: str
    archived_count: int
    last_archived_wal: str | None
    last_archived_at: datetime | None
    failed_count: int
    last_failed_wal: str | None
    last_failed_at: datetime | None
    checked_at: datetime

    @property
    def enabled(self) -> bool:
        """``archive_mode`` is ``on`` or ``always``."""
        return self.mode in ("on", "always")

    @property
    def last_archived_age_s(self) -> float | None:
        if self.last_archived_at is None:
            return None
        return round((self.checked_at - self.last_archived_at).total_seconds(), 3)

    @property
    def failing(self) -> bool:
        if self.last_failed_at is None:
            return False
        return self.last_archived_at is None or self.last_failed_at > self.last_archived_at


_INDEX_NODE_KEY = "Index Name"


@dataclass(frozen=True)
class Plan:
    """A query plan in PostgreSQL's JSON format, as returned by :meth:`Database.explain`.

    Example::

        plan = db.explain("SELECT * FROM purchase_orders WHERE id = %s", [1])
        assert plan.uses_index("purchase_orders_pkey"), plan
        plan.node_types   # ['Index Scan']
        plan.total_cost   # 8.29
    """

    sql: str
    raw: dict[str, Any]
    analyzed: bool = False

    @property
    def root(self) -> dict[str, Any]:
        """The top plan node (``raw["Plan"]``)."""
        node: dict[str, Any] = self.raw["Plan"]
        return node

    @property
    def nodes(self) -> list[dict[str, Any]]:
        """Every plan node, depth first, root first."""
        return list(_walk(self.root))

    @property
    def node_types(self) -> list[str]:
        """Node types depth first: ``['Hash Join', 'Seq Scan', 'Hash', 'Index Scan']``."""
        return [str(n.get("Node Type", "?")) for n in self.nodes]

    @property
    def index_names(self) -> list[str]:
        """Names of the indexes the plan scans (index, index-only and bitmap scans)."""
        names: list[str] = []
        for node in self.nodes:
            name = node.get(_INDEX_NODE_KEY)
            if name is not None and name not in names:
                names.append(str(name))
        return names

    @property
    def seq_scans(self) -> list[str]:
        """Relations read with a sequential scan (parallel ones included)."""
        rels: list[str] = []
        for node in self.nodes:
            if node.get("Node Type") == "Seq Scan":
                rel = str(node.get("Relation Name", "?"))
                if rel not in rels:
                    rels.append(rel)
        return rels

    @property
    def total_cost(self) -> float:
        """The planner's total cost estimate of the root node."""
        return float(self.root.get("Total Cost", 0.0))

    @property
    def estimated_rows(self) -> int:
        """The planner's row estimate of the root node."""
        return int(self.root.get("Plan Rows", 0))

    @property
    def execution_time_ms(self) -> float | None:
        """Measured execution time (``analyze=True`` only), in milliseconds."""
        value = self.raw.get("Execution Time")
        return None if value is None else float(value)

    @property
    def planning_time_ms(self) -> float | None:
        """Planning time (``analyze=True`` only), in milliseconds."""
        value = self.raw.get("Planning Time")
        return None if value is None else float(value)

    def uses_index(self, name: str | None = None) -> bool:
        """True when the plan scans an index (``name``: that index)."""
        names = self.index_names
        return bool(names) if name is None else name in names

    def __str__(self) -> str:
        lines = [f"plan of: {sql_snippet(self.sql, 200)}"]

        def render(node: dict[str, Any], depth: int) -> None:
            label = str(node.get("Node Type", "?"))
            if "Relation Name" in node:
                label += f" on {node['Relation Name']}"
            if _INDEX_NODE_KEY in node:
                label += f" using {node[_INDEX_NODE_KEY]}"
            label += f"  (cost={node.get('Total Cost')} rows={node.get('Plan Rows')})"
            lines.append("  " * depth + "-> " + label)
            for child in node.get("Plans", []):
                render(child, depth + 1)

        render(self.root, 1)
        return "\n".join(lines)


def _walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _walk(child)


def sql_snippet(text: str, limit: int = 80) -> str:
    """``text`` on one line, cut to ``limit`` characters (for messages).

    Example: ``sql_snippet("SELECT\n  1")  # 'SELECT 1'``
    """
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
