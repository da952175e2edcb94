-- Checkpoint storage in the Flowplane database (package dataflow/checkpoint, PostgresStorage).
-- Idempotent: applied by EnsurePostgresSchema; safe to move into migrations/ unchanged.
CREATE TABLE IF NOT EXISTS checkpoint_store_blobs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job           text        NOT NULL,
    checkpoint_id bigint      NOT NULL,
    operator      text        NOT NULL,
    subtask       integer     NOT NULL,
    kg_start      integer     NOT NULL,
    kg_end        integer     NOT NULL,
    size          bigint      NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS checkpoint_store_blobs_job ON checkpoint_store_blobs (job, checkpoint_id);

CREATE TABLE IF NOT EXISTS checkpoint_store_chunks (
    blob_id bigint  NOT NULL REFERENCES checkpoint_store_blobs (id) ON DELETE CASCADE,
    seq     integer NOT NULL,
    data    bytea   NOT NULL,
    PRIMARY KEY (blob_id, seq)
);

CREATE TABLE IF NOT EXISTS checkpoint_store_metadata (
    job           text        NOT NULL,
    checkpoint_id bigint      NOT NULL,
    kind          text        NOT NULL,
    status        text        NOT NULL,
    body          jsonb       NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job, checkpoint_id)
);
