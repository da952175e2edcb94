CREATE TABLE orders (
  order_id BIGINT NOT NULL,
  `user` STRING COMMENT 'the buyer',
  amount DECIMAL(10, 2),
  qty INT,
  ratio DOUBLE,
  ok BOOLEAN,
  note VARCHAR(100),
  d DATE,
  ts TIMESTAMP(3),
  lts TIMESTAMP(3) WITH LOCAL TIME ZONE,
  lts2 TIMESTAMP_LTZ(3),
  gap INTERVAL DAY TO SECOND,
  total AS amount * qty,
  part INT METADATA FROM 'partition' VIRTUAL,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,
  PRIMARY KEY (order_id) NOT ENFORCED
) COMMENT 'orders table' WITH (
  'connector' = 'datagen',
  'rows-per-second' = '10',
  'fields.order_id.kind' = 'sequence',
  'fields.order_id.start' = '1'
);

create temporary table if not exists orders_copy with ('connector' = 'print') like orders (excluding options, including watermarks);

CREATE TABLE kv (k STRING PRIMARY KEY NOT ENFORCED, v ROW<a INT, b ARRAY<STRING>>, m MAP<STRING, BIGINT>) WITH ('connector' = 'blackhole');

CREATE VIEW big_orders (id, amount) AS SELECT order_id, amount FROM orders WHERE amount > 100;

CREATE TEMPORARY VIEW IF NOT EXISTS v2 AS WITH x AS (SELECT 1 AS one) SELECT one FROM x;
