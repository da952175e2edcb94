CREATE TABLE orders (id BIGINT, amount DECIMAL(10, 2), ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
  WITH ('connector' = 'datagen');
CREATE TABLE shipments (order_id BIGINT, carrier STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
  WITH ('connector' = 'datagen');
CREATE TABLE shipped (id BIGINT, carrier STRING, delay_ts TIMESTAMP(3)) WITH ('connector' = 'filesystem', 'path' = '/tmp/s', 'format' = 'json');
CREATE TABLE anything (id BIGINT, carrier STRING) WITH ('connector' = 'print');

-- An interval join: shipments within 4 hours of the order; append-only, so a filesystem sink takes it.
INSERT INTO shipped
SELECT o.id, s.carrier, s.ts
FROM orders o, shipments s
WHERE o.id = s.order_id AND s.ts BETWEEN o.ts AND o.ts + INTERVAL '4' HOUR;

-- The same with JOIN ... ON and comparison operators.
INSERT INTO shipped
SELECT o.id, s.carrier, s.ts
FROM orders o JOIN shipments s ON o.id = s.order_id AND o.ts >= s.ts - INTERVAL '1' HOUR AND o.ts < s.ts;

-- A regular join (no time bound) is updating for LEFT joins and keeps all state.
INSERT INTO anything
SELECT o.id, s.carrier FROM orders o LEFT JOIN shipments s ON o.id = s.order_id;

-- No equality keys: the join runs with parallelism 1.
INSERT INTO anything
SELECT o.id, s.carrier FROM orders o JOIN shipments s ON o.amount > 10;

-- Join keys computed from expressions on each side.
INSERT INTO anything
SELECT o.id, s.carrier FROM orders o JOIN shipments s ON o.id + 1 = s.order_id * 2;

-- A processing-time temporal join against a versioned table.
CREATE TABLE rates (currency STRING, rate DECIMAL(10, 4), PRIMARY KEY (currency) NOT ENFORCED)
  WITH ('connector' = 'postgres', 'table-name' = 'rates', 'integration' = 'pg');
CREATE VIEW orders_pt AS SELECT *, PROCTIME() AS pt FROM orders;
INSERT INTO anything
SELECT o.id, r.currency FROM orders_pt o JOIN rates FOR SYSTEM_TIME AS OF o.pt AS r ON CAST(o.id AS STRING) = r.currency;

-- Derived column aliases.
INSERT INTO anything
SELECT x, y FROM (VALUES (1, 'a'), (2, 'b')) AS v (x, y);
