-- gate-runner's verdict store on PostgreSQL: row-level security keyed on the repository.
--
-- Run once, as the owner of the tables, after gate-runner created them (docs/history.md,
-- "PostgreSQL for an organisation"). Safe to run again: it replaces what it made.
--
-- Who may write what is one table, gate_runner_writers: a row (role, repository) lets the
-- role, and every role that is a member of it, insert, update and delete that repository's
-- verdicts. default_branch false: the role may record only non-default-branch verdicts (a pull
-- request job), so it can never plant a baseline. Every member of gate_runner_ci may read
-- every repository's verdicts (an organisation-wide replay); nobody but the owner may change
-- gate_runner_writers or the schema.

DO $$
BEGIN
    CREATE ROLE gate_runner_ci NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- made by an earlier run (or by a concurrent one)
END
$$;

CREATE TABLE IF NOT EXISTS gate_runner_writers (
    role_name name NOT NULL,
    repository varchar(400) NOT NULL,
    default_branch boolean NOT NULL DEFAULT true,
    PRIMARY KEY (role_name, repository)
);

-- True when the logged-in role (or a role it is a member of) may write `repo`'s rows; with
-- on_default, only if it may write default-branch verdicts. session_user, not current_user:
-- inside a SECURITY DEFINER function current_user is the owner, and SET ROLE cannot widen it.
-- A row naming a role that no longer exists grants nothing (the join drops it).
CREATE OR REPLACE FUNCTION gate_runner_may_write(repo varchar, on_default boolean)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
    SELECT EXISTS (
        SELECT 1
        FROM gate_runner_writers AS w JOIN pg_catalog.pg_roles AS r ON r.rolname = w.role_name
        WHERE w.repository = repo
          AND pg_has_role(session_user, r.oid, 'MEMBER')
          AND (w.default_branch OR NOT on_default)
    )
$$;
REVOKE ALL ON FUNCTION gate_runner_may_write(varchar, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gate_runner_may_write(varchar, boolean) TO gate_runner_ci;

-- The verdicts themselves: a row's repository and default-branch flag decide.
ALTER TABLE verdicts ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS gate_runner_read ON verdicts;
DROP POLICY IF EXISTS gate_runner_insert ON verdicts;
DROP POLICY IF EXISTS gate_runner_update ON verdicts;
DROP POLICY IF EXISTS gate_runner_delete ON verdicts;
CREATE POLICY gate_runner_read ON verdicts FOR SELECT TO gate_runner_ci USING (true);
CREATE POLICY gate_runner_insert ON verdicts FOR INSERT TO gate_runner_ci
    WITH CHECK (gate_runner_may_write(repository, default_branch));
CREATE POLICY gate_runner_update ON verdicts FOR UPDATE TO gate_runner_ci
    USING (gate_runner_may_write(repository, default_branch))
    WITH CHECK (gate_runner_may_write(repository, default_branch));
CREATE POLICY gate_runner_delete ON verdicts FOR DELETE TO gate_runner_ci
    USING (gate_runner_may_write(repository, default_branch));

-- A verdict's campaigns, runs, checks and history rows (schema version 3): the same rule on
-- the repository they carry.
DO $$
DECLARE
    child text;
BEGIN
    FOREACH child IN ARRAY ARRAY['campaigns', 'runs', 'checks', 'history_verdicts',
                                   'history_points', 'history_tools', 'history_waivers'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', child);
        EXECUTE format('DROP POLICY IF EXISTS gate_runner_read ON %I', child);
        EXECUTE format('DROP POLICY IF EXISTS gate_runner_write ON %I', child);
        EXECUTE format(
            'CREATE POLICY gate_runner_read ON %I FOR SELECT TO gate_runner_ci USING (true)',
            child);
        EXECUTE format(
            'CREATE POLICY gate_runner_write ON %I FOR ALL TO gate_runner_ci '
            'USING (gate_runner_may_write(repository, false)) '
            'WITH CHECK (gate_runner_may_write(repository, false))', child);
    END LOOP;
END
$$;

-- gate.reuse's records (schema version 2): the same rule as a verdict. A role whose row says
-- default_branch false (a pull-request job) may file records only as default_branch false,
-- which a default-branch job never reads: a pull request cannot make main's gate skip a run.
ALTER TABLE reuse_records ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS gate_runner_read ON reuse_records;
DROP POLICY IF EXISTS gate_runner_write ON reuse_records;
CREATE POLICY gate_runner_read ON reuse_records FOR SELECT TO gate_runner_ci USING (true);
CREATE POLICY gate_runner_write ON reuse_records FOR ALL TO gate_runner_ci
    USING (gate_runner_may_write(repository, default_branch))
    WITH CHECK (gate_runner_may_write(repository, default_branch));

GRANT SELECT ON schema_version, gate_runner_writers TO gate_runner_ci;
GRANT SELECT, INSERT, UPDATE, DELETE ON verdicts, campaigns, runs, checks, reuse_records,
    history_verdicts, history_points, history_tools, history_waivers TO gate_runner_ci;
GRANT USAGE ON SEQUENCE verdicts_id_seq TO gate_runner_ci;
