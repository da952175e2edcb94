-- Compiled SQL plans and interactive query results.

-- The job graph (dataflow.JobGraph JSON) compiled from a version's SQL at parallelism 1 when the
-- version was created; '{}' for versions stored before plans were kept.
ALTER TABLE versions ADD COLUMN plan jsonb NOT NULL DEFAULT '{}';

-- The job graph a deployment runs: its version compiled with the deployment's parallelism. The
-- scheduler runs this graph; source and sink operators name their integration by id (option
-- 'integration'), resolved to a connection when tasks are assigned.
ALTER TABLE deployments ADD COLUMN plan jsonb NOT NULL DEFAULT '{}';

-- Interactive previews (POST .../applications/{id}/queries): a bounded run's sample rows, kept
-- until expires_at.
CREATE TABLE sql_queries (
    id             text PRIMARY KEY DEFAULT fp_id('qry'),
    project_id     text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    application_id text NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    statement      text NOT NULL,
    max_rows       integer NOT NULL,
    status         text NOT NULL DEFAULT 'RUNNING' CHECK (status IN ('RUNNING', 'COMPLETED', 'FAILED')),
    columns        jsonb NOT NULL DEFAULT '[]',
    rows           jsonb NOT NULL DEFAULT '[]',
    changelog      boolean NOT NULL DEFAULT false,
    ended          boolean NOT NULL DEFAULT false, -- the input ended: rows are the whole result
    timed_out      boolean NOT NULL DEFAULT false,
    error          text NOT NULL DEFAULT '',
    run_deadline   timestamptz NOT NULL,           -- a RUNNING query past it lost its server
    finished_at    timestamptz,
    expires_at     timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sql_queries_expiry ON sql_queries (expires_at);
