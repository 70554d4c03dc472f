-- 0011: query statistics. The extension needs a superuser: the demo creates it before the
-- migrations run, so for the owner this is a no-op that documents the dependency.
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
