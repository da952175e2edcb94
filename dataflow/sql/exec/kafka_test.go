package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flowplane/flowplane/dataflow/connectors/egress"
	"github.com/flowplane/flowplane/dataflow/connectors/endpoint"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// kafkaEnv is an in-process Kafka cluster reachable from SQL as 'integration' = 'k'.
type kafkaEnv struct {
	brokers []string
	client  *kgo.Client
	opts    Options
}

func newKafkaEnv(t *testing.T, partitions int32, topics ...string) kafkaEnv {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kafkaEnv{brokers: c.ListenAddrs(), client: cl, opts: Options{
		Endpoints: endpoint.Static{KafkaByID: map[string]endpoint.Kafka{"k": {Brokers: c.ListenAddrs()}}},
		Dial:      egress.Policy{AllowLoopback: true}.DialContext,
	}}
}

func (k kafkaEnv) produce(t *testing.T, topic string, partition int32, values ...string) {
	t.Helper()
	var recs []*kgo.Record
	for _, v := range values {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: partition, Value: []byte(v)})
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// consumeAll reads the records of topic as "key|value" lines, sorted: n of them, or what is
// there after 5 s.
func (k kafkaEnv) consumeAll(t *testing.T, topic string, n int) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []string
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for ctx.Err() == nil && len(out) < n {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { out = append(out, string(r.Key)+"|"+string(r.Value)) })
	}
	slices.Sort(out)
	return out
}

func TestKafkaJSONToCSVWithKeys(t *testing.T) {
	t.Parallel()
	k := newKafkaEnv(t, 3, "bids", "big")
	for p := range int32(3) {
		var vals []string
		for i := range 40 {
			id := int(p)*100 + i
			vals = append(vals, fmt.Sprintf(`{"id": %d, "who": "u%d", "price": %d.5, "ts": "2024-01-01 00:00:%02d.250", "extra": {"x": 1}}`, id, id%4, id, i%60))
		}
		k.produce(t, "bids", p, vals...)
	}
	runGraphWith(t, `
CREATE TABLE bids (id BIGINT, who STRING, price DECIMAL(10, 2), ts TIMESTAMP(3))
  WITH ('connector' = 'kafka', 'integration' = 'k', 'topic' = 'bids', 'format' = 'json',
        'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE big (who STRING, id BIGINT, price DECIMAL(10, 2), ts TIMESTAMP(3))
  WITH ('connector' = 'kafka', 'properties.bootstrap.servers' = '`+strings.Join(k.brokers, ",")+`', 'topic' = 'big',
        'format' = 'csv', 'key.fields' = 'who', 'key.format' = 'csv', 'sink.partitioner' = 'round-robin');
INSERT INTO big SELECT who, id, price, ts FROM bids WHERE price > 200;`, 2, k.opts)
	got := k.consumeAll(t, "big", 40)
	var want []string
	for id := 200; id < 240; id++ {
		want = append(want, fmt.Sprintf("u%d|u%d,%d,%d.50,2024-01-01 00:00:%02d.250", id%4, id%4, id, id, id-200))
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("topic big holds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// collect is an Emitter keeping the first column of every row as text.
type collect struct{ rows []string }

func (c *collect) Emit(rec arrow.RecordBatch) error {
	for r := range int(rec.NumRows()) {
		v, err := value(rec.Column(0), r)
		if err != nil {
			return err
		}
		c.rows = append(c.rows, fmt.Sprint(v))
	}
	return nil
}

func (c *collect) EmitWatermark(int64) error { return nil }

func kafkaSourceOp(t *testing.T, k kafkaEnv, options map[string]string) operator.Source {
	t.Helper()
	opts := map[string]string{"connector": "kafka", "integration": "k", "topic": "t", "format": "csv"}
	for key, v := range options {
		opts[key] = v
	}
	op, err := newKafkaSource(sql.SourceConfig{Table: "t", Connector: "kafka", Options: opts,
		Columns: []sql.ColumnSpec{{Name: "v", Type: "STRING", Nullable: true}, {Name: "n", Type: "BIGINT", Nullable: true}}}, k.opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Open(&operator.Context{Allocator: memory.DefaultAllocator, Parallelism: 1}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { op.Close() })
	return op.(operator.Source)
}

// drain polls src until it ends (bounded) or has emitted want rows.
func drain(t *testing.T, src operator.Source, c *collect, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(c.rows) < want {
		err := src.Poll(context.Background(), c)
		if errors.Is(err, operator.ErrEndOfInput) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d rows after 10 s", len(c.rows), want)
		}
	}
}

func TestKafkaSourceReplaysFromOffsets(t *testing.T) {
	t.Parallel()
	k := newKafkaEnv(t, 2, "t")
	for p := range int32(2) {
		var vals []string
		for i := range 3000 {
			vals = append(vals, fmt.Sprintf("p%d-%d,%d", p, i, i))
		}
		k.produce(t, "t", p, vals...)
	}
	first := kafkaSourceOp(t, k, map[string]string{"scan.bounded.mode": "latest-offset"})
	var c1 collect
	drain(t, first, &c1, 2500) // stops after a batch or two past 2500 rows
	var state bytes.Buffer
	if err := first.SnapshotState(1, &state); err != nil {
		t.Fatal(err)
	}
	second := kafkaSourceOp(t, k, map[string]string{"scan.bounded.mode": "latest-offset"})
	if err := second.RestoreState(bytes.NewReader(state.Bytes())); err != nil {
		t.Fatal(err)
	}
	var c2 collect
	drain(t, second, &c2, 1<<30)
	all := append(append([]string(nil), c1.rows...), c2.rows...)
	slices.Sort(all)
	if len(all) != 6000 || len(c2.rows) == 0 || len(c1.rows) < 2500 {
		t.Fatalf("read %d then %d rows after restore; want 6000 in all", len(c1.rows), len(c2.rows))
	}
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			t.Fatalf("row %s read twice", all[i])
		}
	}
}

func TestKafkaStartupModes(t *testing.T) {
	t.Parallel()
	k := newKafkaEnv(t, 1, "t")
	k.produce(t, "t", 0, "a,1", "b,2", "not,a number", "c,3", "d,4", "")
	cases := []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"scan.startup.mode": "specific-offsets", "scan.startup.specific-offsets": "partition:0,offset:3",
			"scan.bounded.mode": "latest-offset", "csv.ignore-parse-errors": "true"}, "c d"},
		{map[string]string{"scan.bounded.mode": "latest-offset", "csv.ignore-parse-errors": "true"}, "a b c d"},
		{map[string]string{"scan.startup.mode": "latest-offset", "scan.bounded.mode": "latest-offset"}, ""},
	}
	for _, c := range cases {
		var got collect
		drain(t, kafkaSourceOp(t, k, c.opts), &got, 1<<30)
		if strings.Join(got.rows, " ") != c.want {
			t.Errorf("%v: read %v, want %s", c.opts, got.rows, c.want)
		}
	}
	// Without ignore-parse-errors the malformed record fails the source, naming its offset;
	// the empty record (whose csv reader says EOF) fails it too rather than ending it.
	src := kafkaSourceOp(t, k, map[string]string{"scan.bounded.mode": "latest-offset"})
	var err error
	for err == nil {
		err = src.Poll(context.Background(), &collect{})
	}
	if !errors.Is(err, errFormat) || !strings.Contains(err.Error(), "offset 2") {
		t.Fatalf("malformed record: %v", err)
	}
	src = kafkaSourceOp(t, k, map[string]string{"scan.bounded.mode": "latest-offset", "scan.startup.mode": "specific-offsets",
		"scan.startup.specific-offsets": "partition:0,offset:5"})
	for err = nil; err == nil; {
		err = src.Poll(context.Background(), &collect{})
	}
	if !errors.Is(err, errFormat) || errors.Is(err, operator.ErrEndOfInput) || !strings.Contains(err.Error(), "offset 5") {
		t.Fatalf("empty csv record: %v, want a format error", err)
	}
}

// TestKafkaSASLFromIntegration reaches a SASL cluster with the integration's credentials and
// fails with wrong ones.
func TestKafkaSASLFromIntegration(t *testing.T) {
	t.Parallel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"), kfake.EnableSASL(),
		kfake.Superuser("SCRAM-SHA-256", "app", "s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dial := egress.Policy{AllowLoopback: true}.DialContext
	good := endpoint.Kafka{Brokers: c.ListenAddrs(), SecurityProtocol: "SASL_PLAINTEXT", SASLMechanism: "SCRAM-SHA-256",
		SASLUser: "app", SASLPassword: "s3cret"}
	bad := good
	bad.SASLPassword = "wrong"
	k := kafkaEnv{opts: Options{Dial: dial, Endpoints: endpoint.Static{KafkaByID: map[string]endpoint.Kafka{"k": good, "bad": bad}}}}
	var got collect
	drain(t, kafkaSourceOp(t, k, map[string]string{"scan.bounded.mode": "latest-offset"}), &got, 1<<30)
	if len(got.rows) != 0 {
		t.Fatalf("empty topic read %v", got.rows)
	}
	src := kafkaSourceOp(t, k, map[string]string{"integration": "bad", "scan.bounded.mode": "latest-offset"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := src.Poll(ctx, &collect{}); !errors.Is(err, ErrSource) || errors.Is(err, operator.ErrEndOfInput) {
		t.Fatalf("wrong password: Poll = %v, want a source failure (not the end of input)", err)
	}
}
