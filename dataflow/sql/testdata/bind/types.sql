CREATE TABLE src (
  id BIGINT,
  name STRING,
  price DECIMAL(10, 2),
  ts TIMESTAMP(3),
  amount AS price * 2,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH ('connector' = 'datagen');
CREATE TABLE dst (id BIGINT, label STRING, total DECIMAL(20, 2)) WITH ('connector' = 'print');

INSERT INTO dst SELECT id, name || '!', amount FROM src WHERE price > 1.5 AND name LIKE 'a%';
INSERT INTO dst SELECT id, name, price FROM src WHERE name > 1;
INSERT INTO dst SELECT id + 'x', name, price FROM src;
INSERT INTO dst SELECT id, name FROM src;
INSERT INTO dst SELECT name, name, price FROM src;
INSERT INTO dst SELECT id, UPPER(id), price FROM src;
INSERT INTO dst SELECT id, CAST(id AS STRING), CAST(price AS DECIMAL(20, 2)) FROM src WHERE Name = 'x';
INSERT INTO dst SELECT s.id, COALESCE(s.name, 'none'), s.price FROM src AS s WHERE t.id = 1;
INSERT INTO dst SELECT id, CASE WHEN id > 1 THEN 'big' ELSE 1 END, price FROM src;
INSERT INTO dst SELECT id, name, SUM(price) FROM src;
INSERT INTO dst SELECT id, name, MAX(price) FROM src GROUP BY id;
INSERT INTO dst SELECT id, name, price FROM src WHERE COUNT(*) > 1;
INSERT INTO dst SELECT id, NOPE(name), price FROM src;
INSERT INTO dst SELECT id, name, price FROM src WHERE ts > TIMESTAMP '2024-01-01 00:00:00' - INTERVAL '1' DAY;
CREATE TABLE bad (a INT, b AS a + 1, c AS b * 2) WITH ('connector' = 'datagen');
CREATE TABLE wm (a INT, ts TIMESTAMP(3), WATERMARK FOR a AS a - 1) WITH ('connector' = 'datagen');
CREATE TABLE wm2 (ts TIMESTAMP(3), WATERMARK FOR ts AS 5) WITH ('connector' = 'datagen');
CREATE TABLE dec (d DECIMAL(40, 2)) WITH ('connector' = 'datagen');
INSERT INTO dst SELECT id, name, price FROM src WHERE ts > INTERVAL '1' FORTNIGHT;
INSERT INTO dst SELECT id, name, price FROM src WHERE ts > TIMESTAMP '2024-13-01 00:00:00';
INSERT INTO dst SELECT id, name, price FROM src WHERE INTERVAL '1:99' HOUR TO MINUTE IS NULL;
