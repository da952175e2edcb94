CREATE TABLE clicks (
  user_id BIGINT,
  url STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'datagen', 'rows-per-second' = '100');
CREATE TABLE users (id BIGINT, name STRING, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'datagen');
CREATE TABLE counts (user_id BIGINT, n BIGINT, PRIMARY KEY (user_id) NOT ENFORCED) WITH ('connector' = 'postgres', 'table-name' = 'counts', 'integration' = 'pg-main');
CREATE TABLE windows (wstart TIMESTAMP(3), wend TIMESTAMP(3), n BIGINT) WITH ('connector' = 'filesystem', 'path' = '/tmp/w', 'format' = 'csv');
CREATE TABLE out (user_id BIGINT, url STRING) WITH ('connector' = 'print');
CREATE VIEW recent AS SELECT user_id, url FROM clicks WHERE url LIKE 'https://%';

EXECUTE STATEMENT SET BEGIN
INSERT INTO counts SELECT user_id, COUNT(*) FROM clicks GROUP BY user_id HAVING COUNT(*) > 1;
INSERT INTO windows SELECT window_start, window_end, COUNT(DISTINCT user_id) FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end;
INSERT INTO out SELECT c.user_id, u.name FROM clicks c LEFT JOIN users u ON c.user_id = u.id;
INSERT INTO out SELECT user_id, url FROM recent UNION ALL SELECT id, name FROM users;
INSERT INTO out SELECT user_id, url FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY ts DESC) AS rn FROM clicks) WHERE rn = 1;
END;

INSERT INTO windows SELECT user_id, COUNT(*) FROM clicks GROUP BY user_id;
INSERT INTO out SELECT user_id, url FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY ts) AS rn FROM clicks);
INSERT INTO windows SELECT window_start, window_end, COUNT(*) FROM TABLE(TUMBLE(TABLE users, DESCRIPTOR(id), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end;
INSERT INTO out SELECT user_id, url FROM clicks ORDER BY ts DESC LIMIT 3;
SELECT 1;
