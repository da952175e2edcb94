CREATE TABLE g (id BIGINT, name STRING) WITH (
  'connector' = 'datagen',
  'rows-per-second' = 'fast',
  'fields.id.kind' = 'sequence',
  'fields.nope.min' = '1',
  'fields.name.colour' = 'red',
  'rows-per-sec' = '5'
);
CREATE TABLE pg (id BIGINT) WITH ('connector' = 'postgres', 'table-name' = 'x', 'password' = 'hunter2');
CREATE TABLE k (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'avro', 'integration' = 'my-kafka');
CREATE TABLE u (id BIGINT) WITH ('connector' = 'jdbc');
CREATE TABLE n (id BIGINT);
CREATE TABLE fs (id BIGINT) WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = 'json');
CREATE TABLE fs (id BIGINT) WITH ('connector' = 'blackhole');
CREATE TABLE fs2 (id BIGINT) WITH ('connector' = 'filesystem', 'path' = 'file:///data/../../etc', 'format' = 'csv');
CREATE TABLE fs3 (id BIGINT) WITH ('connector' = 'filesystem', 'path' = 's3://bucket/x', 'format' = 'csv');
CREATE TABLE pg2 (id BIGINT) WITH ('connector' = 'postgres', 'table-name' = 'x; DROP TABLE y', 'integration' = 'pg');
CREATE TABLE k2 (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 'a b', 'format' = 'json', 'integration' = 'k');
CREATE TABLE ok (id BIGINT) WITH ('connector' = 'postgres', 'table-name' = 'public.orders', 'integration' = 'pg');
CREATE TABLE k3 (id BIGINT, v STRING) WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'json', 'integration' = 'k', 'key.format' = 'json', 'key.fields' = 'id;nope');
CREATE TABLE nx (auction BIGINT, bidder INT, colour STRING) WITH ('connector' = 'nexmark', 'stream' = 'bid');
CREATE TABLE pg3 (id BIGINT) WITH ('connector' = 'postgres', 'table-name' = 'x', 'scan.query' = 'SELECT 1 AS id', 'url' = 'postgres://db:5432/app');
CREATE TABLE pg4 (id BIGINT) WITH ('connector' = 'postgres', 'table-name' = 'x', 'url' = 'postgres://u:pw@db/app');
CREATE TABLE pg5 (id BIGINT) WITH ('connector' = 'postgres', 'table-name' = 'x', 'url' = 'postgres://db/app', 'integration' = 'pg');
CREATE TABLE k4 (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'json', 'properties.bootstrap.servers' = 'broker', 'scan.startup.mode' = 'newest');
CREATE TABLE k5 (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'csv', 'properties.bootstrap.servers' = 'b1:9092,b2:9092', 'properties.client.id' = 'x');
CREATE TABLE k6 (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'json', 'properties.bootstrap.servers' = '169.254.169.254:9092');
CREATE TABLE fs9 (id BIGINT) WITH ('connector' = 'filesystem', 'path' = '/x', 'format' = 'csv', 'sink.rolling-policy.file-size' = 'huge');
CREATE TABLE k7 (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'json', 'integration' = 'k', 'scan.startup.mode' = 'specific-offsets', 'scan.startup.specific-offsets' = 'p0:42');
