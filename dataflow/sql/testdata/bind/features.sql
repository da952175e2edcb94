CREATE TABLE base (
  id BIGINT,
  name STRING,
  ts TIMESTAMP(3),
  doubled AS id * 2,
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND,
  PRIMARY KEY (id) NOT ENFORCED
) WITH ('connector' = 'datagen', 'rows-per-second' = '5');

-- LIKE copies columns, watermark, key and options; EXCLUDING OPTIONS drops the source's.
CREATE TEMPORARY TABLE copy WITH ('connector' = 'print') LIKE base (EXCLUDING OPTIONS);
CREATE TABLE copy_no_gen WITH ('connector' = 'blackhole') LIKE base (EXCLUDING GENERATED, EXCLUDING OPTIONS);
CREATE TABLE fast WITH ('rows-per-second' = '1000') LIKE base;
CREATE TABLE out2 (a BIGINT, b STRING) WITH ('connector' = 'print');
CREATE VIEW named (k, label) AS SELECT id, name FROM base;
CREATE VIEW IF NOT EXISTS named AS SELECT 1;

EXECUTE STATEMENT SET BEGIN
INSERT INTO copy SELECT id, name, ts FROM fast;
INSERT INTO copy_no_gen SELECT id, name, ts FROM base;
INSERT INTO out2 SELECT DISTINCT k, label FROM named;
INSERT INTO out2 SELECT id, name FROM base UNION SELECT k, label FROM named;
INSERT INTO out2 WITH big AS (SELECT id, name FROM base WHERE id > 100) SELECT id, NULLIF(name, '') FROM big;
INSERT INTO out2 SELECT id, IF(id > 1, 'a', 'b') FROM base WHERE ts > TIMESTAMP '2024-01-01 00:00:00' AND CAST(ts AS DATE) <> DATE '2024-02-28';
INSERT INTO out2 SELECT id, name FROM base ORDER BY id DESC LIMIT 5;
INSERT INTO out2 SELECT COUNT(*), MAX(name) FROM base HAVING COUNT(*) > 2;
INSERT INTO out2 SELECT SUM(id), CAST(window_start AS STRING) FROM TABLE(HOP(TABLE base, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '3' MINUTE)) GROUP BY window_start, window_end;
INSERT INTO out2 SELECT MIN(id), CAST(window_end AS STRING) FROM TABLE(CUMULATE(TABLE base, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '1' HOUR)) GROUP BY window_start, window_end;
INSERT INTO out2 SELECT id, CAST(COUNT(*) AS STRING) FROM TABLE(SESSION(TABLE base PARTITION BY id, DESCRIPTOR(ts), INTERVAL '5' MINUTE)) GROUP BY id, window_start, window_end;
INSERT INTO out2 VALUES (1, 'one'), (2, NULL);
INSERT INTO out2 SELECT TRY_CAST(name AS BIGINT), name FROM base WHERE name NOT LIKE 'x%' AND id NOT BETWEEN 1 AND 2 AND id NOT IN (5, 6);
END;

INSERT INTO out2 SELECT id, name FROM base ORDER BY id;
INSERT INTO out2 SELECT id, name FROM base LIMIT 0;
INSERT INTO out2 SELECT window_start, name FROM TABLE(TUMBLE(TABLE base, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, name;
INSERT INTO out2 SELECT id, name FROM TABLE(HOP(TABLE base, DESCRIPTOR(ts), INTERVAL '7' SECOND, INTERVAL '10' SECOND));
INSERT INTO out2 SELECT id, name FROM base INTERSECT SELECT id, name FROM base;
INSERT INTO out2 SELECT id, name FROM base UNION ALL SELECT id FROM base;
INSERT INTO named SELECT 1, 'x';
INSERT INTO base SELECT id, name, ts FROM base;
CREATE TABLE likebad WITH ('connector' = 'print') LIKE nowhere;
