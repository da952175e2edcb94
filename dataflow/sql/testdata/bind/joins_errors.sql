CREATE TABLE orders (id BIGINT, amount DECIMAL(10, 2), ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
  WITH ('connector' = 'datagen');
CREATE TABLE shipments (order_id BIGINT, carrier STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
  WITH ('connector' = 'datagen');
CREATE TABLE shipped (id BIGINT, carrier STRING, delay_ts TIMESTAMP(3)) WITH ('connector' = 'filesystem', 'path' = '/tmp/s', 'format' = 'json');
CREATE TABLE anything (id BIGINT, carrier STRING) WITH ('connector' = 'print');

CREATE TABLE rates (currency STRING, rate DECIMAL(10, 4), PRIMARY KEY (currency) NOT ENFORCED)
  WITH ('connector' = 'postgres', 'table-name' = 'rates', 'integration' = 'pg');
CREATE VIEW orders_pt AS SELECT *, PROCTIME() AS pt FROM orders;
-- Event time needs a watermark on the versioned table.
INSERT INTO anything
SELECT o.id, r.currency FROM orders o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON CAST(o.id AS STRING) = r.currency;

-- A temporal join needs join keys.
INSERT INTO anything
SELECT o.id, r.currency FROM orders_pt o JOIN rates FOR SYSTEM_TIME AS OF o.pt AS r ON r.currency = 'EUR';

-- FOR SYSTEM_TIME AS OF outside a join, and on a non-time column.
INSERT INTO anything SELECT 1, currency FROM rates FOR SYSTEM_TIME AS OF CURRENT_TIMESTAMP;
INSERT INTO anything
SELECT o.id, r.currency FROM orders o JOIN rates FOR SYSTEM_TIME AS OF o.id AS r ON CAST(o.id AS STRING) = r.currency;

-- RIGHT and FULL joins.
INSERT INTO anything SELECT o.id, s.carrier FROM orders o FULL JOIN shipments s ON o.id = s.order_id;
