-- The pipeline's ClickHouse users on servers with SQL access control (20.5 and later), the counterpart of
-- the local stack's users.d/warmcity.xml (18.16 has no grants). Not applied by `warmcity migrate`: users
-- and grants belong to whoever runs the server. Render it with the configured names, passwords (as
-- SHA-256, never in clear) and limits, and run it as a user with access management:
--
--   warmcity storage roles-sql | clickhouse-client --multiquery
--
-- The admin user (WARMCITY_CLICKHOUSE_USER, for migrations and `warmcity storage prune`) is the
-- operator's own and is not created here. Restrict where the users may log in from with HOST clauses
-- (ALTER USER ... HOST IP '10.0.0.0/8') to fit the deployment. Running this again changes nothing (a
-- new password needs ALTER USER ... IDENTIFIED WITH sha256_hash BY '...').
--
-- Checked: every statement parses on ClickHouse 26.9 (chDB, tests/unit/test_roles_sql.py). Not checked:
-- running them, which chDB does not allow and 18.16 cannot.
--
-- Writer: INSERT on the pipeline's database and nothing else: no SELECT, no DDL. Where materialized
-- views run with the privileges of the inserting user (before SQL SECURITY DEFINER, 24.x), a server may
-- also want SELECT on the views' sources: if the sink's inserts fail with ACCESS_DENIED naming SELECT on
-- plate_reads or device_events, grant SELECT on those two tables to warmcity_writer_role.
CREATE ROLE IF NOT EXISTS warmcity_writer_role;

GRANT INSERT ON ${database}.* TO warmcity_writer_role;

CREATE USER IF NOT EXISTS ${writer_user} IDENTIFIED WITH sha256_hash BY '${writer_password_sha256}';

GRANT warmcity_writer_role TO ${writer_user};

ALTER USER ${writer_user} DEFAULT ROLE warmcity_writer_role;

-- Analyst: SELECT on the pipeline's database, readonly, and limits it cannot change (READONLY
-- constraints): memory per query, execution time, rows read.
CREATE SETTINGS PROFILE IF NOT EXISTS warmcity_analyst_profile SETTINGS
    readonly = 1 READONLY,
    max_memory_usage = ${analyst_max_memory_usage} READONLY,
    max_execution_time = ${analyst_max_execution_time_s} READONLY,
    timeout_overflow_mode = 'throw' READONLY,
    max_rows_to_read = ${analyst_max_rows_to_read} READONLY,
    read_overflow_mode = 'throw' READONLY;

CREATE ROLE IF NOT EXISTS warmcity_analyst_role SETTINGS PROFILE 'warmcity_analyst_profile';

GRANT SELECT ON ${database}.* TO warmcity_analyst_role;

CREATE USER IF NOT EXISTS ${analyst_user} IDENTIFIED WITH sha256_hash BY '${analyst_password_sha256}'
    SETTINGS PROFILE 'warmcity_analyst_profile';

GRANT warmcity_analyst_role TO ${analyst_user};

ALTER USER ${analyst_user} DEFAULT ROLE warmcity_analyst_role;
