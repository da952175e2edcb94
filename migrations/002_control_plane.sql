-- The control plane: tenancy, auth, services, applications, deployments and the read models the
-- scheduler fills (jobs, deployment_events, checkpoints, savepoints).
--
-- Ids are text: a noun prefix and a UUIDv7 in hex ("app_0192…"), so they sort by creation time and
-- keyset pagination (WHERE id > $cursor ORDER BY id) stays stable under concurrent inserts. The
-- database generates them (fp_id), so the scheduler can insert rows without an id library.
--
-- Contract with the scheduler (scheduler/ reads and writes these tables):
--   reads   deployments (desired state: version_id, parallelism, restart_strategy,
--           starting_savepoint_id, desired_action, desired_generation), versions (statement, sources,
--           sinks), services (plan_slots, powered), savepoints WHERE status = 'PENDING'.
--   writes  deployments.status / status_message / observed_generation, jobs, deployment_events,
--           checkpoints, savepoints (status, location, size_bytes, completed_at).
--   listens NOTIFY deployments_changed, payload = deployment id, sent by a trigger whenever a
--           deployment's desired state changes (insert, desired_action or desired_generation update)
--           and when a savepoint is requested.

CREATE FUNCTION fp_uuidv7() RETURNS uuid LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    ms  bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
    b   bytea  := decode(lpad(to_hex(ms), 12, '0'), 'hex') || gen_random_bytes_v7();
BEGIN
    RETURN encode(b, 'hex')::uuid;
END $$;

-- ten random bytes with the version (7) and variant (10xx) bits set.
CREATE FUNCTION gen_random_bytes_v7() RETURNS bytea LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    r bytea := substring(uuid_send(gen_random_uuid()) FROM 7 FOR 10);
BEGIN
    r := set_byte(r, 0, (get_byte(r, 0) & 15) | 112);
    r := set_byte(r, 2, (get_byte(r, 2) & 63) | 128);
    RETURN r;
END $$;

CREATE FUNCTION fp_id(prefix text) RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT prefix || '_' || replace(fp_uuidv7()::text, '-', '')
$$;

CREATE TABLE users (
    id            text PRIMARY KEY DEFAULT fp_id('usr'),
    email         text NOT NULL,
    name          text NOT NULL,
    password_hash text NOT NULL, -- argon2id, PHC string
    platform_admin boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE projects (
    id          text PRIMARY KEY DEFAULT fp_id('prj'),
    name        text NOT NULL UNIQUE, -- slug, addresses the project in paths
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE members (
    project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('admin', 'developer', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX members_user ON members (user_id);

-- Ed25519 keys signing JWTs; the private half is sealed with the master key (AES-256-GCM).
CREATE TABLE signing_keys (
    kid                text PRIMARY KEY,
    public_key         bytea NOT NULL,
    private_key_sealed bytea NOT NULL,
    active             boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now()
);

-- Every issued JWT (console sessions and API tokens); the jti is stored hashed (sha256).
CREATE TABLE api_tokens (
    id          text PRIMARY KEY DEFAULT fp_id('tok'),
    jti_hash    bytea NOT NULL UNIQUE,
    user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('session', 'api')),
    description text NOT NULL DEFAULT '',
    project_id  text REFERENCES projects (id) ON DELETE CASCADE, -- narrows the token to one project
    role        text CHECK (role IN ('admin', 'developer', 'viewer')), -- narrows the token's role
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    last_used_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);

CREATE TABLE services (
    id          text PRIMARY KEY DEFAULT fp_id('svc'),
    project_id  text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name        text NOT NULL,
    plan        text NOT NULL,
    plan_slots  integer NOT NULL,
    powered     boolean NOT NULL DEFAULT true,
    state       text NOT NULL DEFAULT 'RUNNING' CHECK (state IN ('REBUILDING', 'RUNNING', 'POWEROFF')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, name)
);

CREATE TABLE integrations (
    id            text PRIMARY KEY DEFAULT fp_id('int'),
    project_id    text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    service_id    text NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    name          text NOT NULL,
    type          text NOT NULL CHECK (type IN ('postgres', 'kafka')),
    config        jsonb NOT NULL,  -- the non-secret settings
    secret_sealed bytea,           -- JSON of the secret settings, AES-256-GCM under the master key
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (service_id, name)
);

CREATE TABLE applications (
    id          text PRIMARY KEY DEFAULT fp_id('app'),
    project_id  text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    service_id  text NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (service_id, name)
);

CREATE TABLE versions (
    id             text PRIMARY KEY DEFAULT fp_id('ver'),
    project_id     text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    application_id text NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    number         integer NOT NULL,
    statement      text NOT NULL,
    sources        jsonb NOT NULL DEFAULT '[]', -- [{create_table, integration_id?}]
    sinks          jsonb NOT NULL DEFAULT '[]',
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (application_id, number)
);

CREATE TABLE savepoints (
    id             text PRIMARY KEY DEFAULT fp_id('sp'),
    project_id     text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    application_id text NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    deployment_id  text NOT NULL, -- FK added below (deployments reference savepoints too)
    status         text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'COMPLETED', 'FAILED')),
    reason         text NOT NULL DEFAULT 'manual' CHECK (reason IN ('manual', 'stop')),
    location       text,
    size_bytes     bigint,
    failure        text,
    completed_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Desired state. The API writes version_id … desired_action and bumps desired_generation on every
-- change of intent (create, stop, cancel, restart); the scheduler converges, writes status and sets
-- observed_generation to the generation it acted on.
CREATE TABLE deployments (
    id                    text PRIMARY KEY DEFAULT fp_id('dep'),
    project_id            text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    service_id            text NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    application_id        text NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    version_id            text NOT NULL REFERENCES versions (id) ON DELETE CASCADE, -- only past deployments: the API refuses while active
    parallelism           integer NOT NULL CHECK (parallelism > 0),
    restart_strategy      jsonb NOT NULL,
    starting_savepoint_id text REFERENCES savepoints (id),
    desired_action        text NOT NULL DEFAULT 'run' CHECK (desired_action IN ('run', 'stop', 'cancel')),
    desired_generation    bigint NOT NULL DEFAULT 1,
    observed_generation   bigint NOT NULL DEFAULT 0,
    status                text NOT NULL DEFAULT 'CREATED' CHECK (status IN ('CREATED', 'INITIALIZING',
                              'RUNNING', 'RESTARTING', 'FAILING', 'FAILED', 'CANCELLING', 'CANCELED',
                              'SAVING_AND_STOP', 'FINISHED', 'SUSPENDED')),
    status_message        text NOT NULL DEFAULT '',
    created_at            timestamptz NOT NULL DEFAULT now(),
    created_by            text NOT NULL,
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deployments_application ON deployments (application_id, id);
-- Only one active deployment per application.
CREATE UNIQUE INDEX deployments_one_active ON deployments (application_id)
    WHERE status NOT IN ('FAILED', 'CANCELED', 'FINISHED', 'SUSPENDED');
ALTER TABLE savepoints ADD FOREIGN KEY (deployment_id) REFERENCES deployments (id) ON DELETE CASCADE;
CREATE INDEX savepoints_deployment ON savepoints (deployment_id, id);
CREATE INDEX savepoints_pending ON savepoints (status) WHERE status = 'PENDING';

-- Observed: one row per attempt the scheduler started.
CREATE TABLE jobs (
    id            text PRIMARY KEY DEFAULT fp_id('job'),
    project_id    text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    deployment_id text NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    attempt       integer NOT NULL,
    status        text NOT NULL,
    graph         jsonb NOT NULL DEFAULT '{}',
    started_at    timestamptz,
    ended_at      timestamptz,
    failure       text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (deployment_id, attempt)
);

CREATE TABLE deployment_events (
    id            text PRIMARY KEY DEFAULT fp_id('evt'),
    project_id    text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    deployment_id text NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    attempt       integer,
    type          text NOT NULL,   -- e.g. created, stop_requested, status_changed, task_failed
    status        text,            -- the deployment status after the event, when it changed
    message       text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deployment_events_deployment ON deployment_events (deployment_id, id);

CREATE TABLE checkpoints (
    id            text PRIMARY KEY DEFAULT fp_id('chk'),
    project_id    text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    deployment_id text NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    job_id        text REFERENCES jobs (id) ON DELETE CASCADE,
    checkpoint_id bigint NOT NULL, -- the coordinator's monotonic number
    status        text NOT NULL CHECK (status IN ('COMPLETED', 'FAILED')),
    location      text,
    size_bytes    bigint NOT NULL DEFAULT 0,
    triggered_at  timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (deployment_id, checkpoint_id)
);

CREATE TABLE audit_log (
    id          text PRIMARY KEY DEFAULT fp_id('aud'),
    project_id  text, -- no FK: the trail outlives a deleted project's rows
    actor_id    text,
    token_id    text,
    action      text NOT NULL,   -- e.g. service.create
    target_type text NOT NULL,
    target_id   text NOT NULL,
    request_id  text NOT NULL DEFAULT '',
    details     jsonb NOT NULL DEFAULT '{}', -- never secrets
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_project ON audit_log (project_id, id);

CREATE TABLE idempotency_keys (
    token_id     text NOT NULL,
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    status       integer,          -- NULL while the first request is in flight
    content_type text,
    body         bytea,
    headers      jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_id, key)
);

-- Announce every change of a deployment's desired state to LISTEN deployments_changed.
CREATE FUNCTION notify_deployment_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'savepoints' THEN
        PERFORM pg_notify('deployments_changed', NEW.deployment_id);
    ELSIF TG_OP = 'INSERT' OR NEW.desired_action IS DISTINCT FROM OLD.desired_action
          OR NEW.desired_generation IS DISTINCT FROM OLD.desired_generation THEN
        PERFORM pg_notify('deployments_changed', NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER deployments_notify AFTER INSERT OR UPDATE ON deployments
    FOR EACH ROW EXECUTE FUNCTION notify_deployment_changed();
CREATE TRIGGER savepoints_notify AFTER INSERT ON savepoints
    FOR EACH ROW EXECUTE FUNCTION notify_deployment_changed();

---- create above / drop below ----
DROP TABLE idempotency_keys, audit_log, checkpoints, deployment_events, jobs;
ALTER TABLE savepoints DROP CONSTRAINT savepoints_deployment_id_fkey;
DROP TABLE deployments, savepoints, versions, applications, integrations, services, api_tokens,
    signing_keys, members, projects, users;
DROP FUNCTION notify_deployment_changed, fp_id, gen_random_bytes_v7, fp_uuidv7;
