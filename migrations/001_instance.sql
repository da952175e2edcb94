-- The installation itself: one row, created with the schema. Its id names this install in logs and
-- metrics; bootstrapped_at is set once the first admin credentials were issued.
CREATE TABLE instance (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    install_id      uuid NOT NULL DEFAULT gen_random_uuid(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    bootstrapped_at timestamptz
);
INSERT INTO instance DEFAULT VALUES;

---- create above / drop below ----
DROP TABLE instance;
