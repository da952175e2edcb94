-- Checkpoints and savepoints as the scheduler records them (DESIGN §7).

-- checkpoints: savepoints appear in GET …/checkpoints too (is_savepoint), and aborted ones say why.
ALTER TABLE checkpoints ADD COLUMN is_savepoint boolean NOT NULL DEFAULT false;
ALTER TABLE checkpoints ADD COLUMN failure_message text;

-- savepoints: the checkpoint id of a completed savepoint (with location: the storage, and
-- deployment_id: the job whose state it is), what a deployment starting from it restores.
ALTER TABLE savepoints ADD COLUMN checkpoint_id bigint;

-- deployments: the checkpoint interval; NULL is the server's default (10 s).
ALTER TABLE deployments ADD COLUMN checkpoint_interval_ms bigint CHECK (checkpoint_interval_ms >= 100);

---- create above / drop below ----
ALTER TABLE deployments DROP COLUMN checkpoint_interval_ms;
ALTER TABLE savepoints DROP COLUMN checkpoint_id;
ALTER TABLE checkpoints DROP COLUMN failure_message, DROP COLUMN is_savepoint;
