SELECT
  1 + 2 * 3 - 4 / 2 % 3,
  (1 + 2) * 3,
  -a, - -a, +a, -(a + b),
  a || 'x' || `b c`,
  NOT a AND b OR c,
  NOT (a OR b),
  a = 1 AND (b <> 2 OR c != 3),
  a < 1, a <= 1, a > 1, a >= 1,
  a IN (1, 2, 3), a NOT IN ('x'),
  a BETWEEN 1 AND 10, a NOT BETWEEN b - 1 AND b + 1,
  name LIKE 'a%', name NOT LIKE '%\_%' ESCAPE '\',
  x IS NULL, x IS NOT NULL, flag IS TRUE, flag IS NOT FALSE,
  CASE WHEN a > 1 THEN 'big' WHEN a > 0 THEN 'small' ELSE 'none' END,
  CASE a WHEN 1 THEN 'one' END,
  CAST(a AS BIGINT), TRY_CAST(s AS INT), CAST(x AS DECIMAL(10, 2)), CAST(s AS VARCHAR(20)),
  CAST(ts AS TIMESTAMP(3)), CAST(ts AS TIMESTAMP_LTZ(3)), CAST(d AS DATE),
  COALESCE(a, b, 0),
  DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm'),
  EXTRACT(YEAR FROM ts), EXTRACT(hour FROM ts),
  SPLIT_INDEX(url, '/', 3), CHAR_LENGTH(s), UPPER(s), lower(s), CONCAT(a, b, c),
  FLOOR(x), ROUND(x, 2), ABS(-1.5e3), MOD(a, 10), HOUR(ts),
  INTERVAL '5' SECOND, INTERVAL '10' MINUTES, INTERVAL '1:30' HOUR TO MINUTE, INTERVAL '2' DAY,
  DATE '2024-01-01', TIMESTAMP '2024-01-01 00:00:00.000',
  CURRENT_TIMESTAMP, LOCALTIMESTAMP, PROCTIME(),
  'it''s', '', TRUE, FALSE, NULL, 1.5, .5, 1e10, 007,
  t.a, t.`select`, `weird``name`
FROM t;

SELECT COUNT(*), COUNT(DISTINCT a), COUNT(a) FILTER (WHERE b > 1), SUM(ALL x) FROM t;

SELECT a FROM t WHERE x = (SELECT MAX(x) FROM t) AND EXISTS (SELECT 1 FROM u) AND y IN (SELECT y FROM u);

/* block comment */ SELECT a -- trailing comment
FROM t;
