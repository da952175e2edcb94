package postgres

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
)

func TestSinkOperatorConfigErrors(t *testing.T) {
	t.Parallel()
	pools := func(context.Context, string) (*pgxpool.Pool, error) { return nil, errors.New("unused") }
	reg := operator.NewRegistry()
	if err := RegisterSink(reg, pools); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{`{"table":"t","columns":["a"]}`, `{"connection":"c","columns":["a"]}`,
		`{"connection":"c","table":"t"}`, `{"connection":"c","table":"t","columns":["a"],"bogus":1}`} {
		if _, err := reg.New(dataflow.OperatorSpec{ID: "s", Kind: KindSink, Config: []byte(raw)}); !errors.Is(err, operator.ErrConfig) {
			t.Fatalf("config %s: %v, want ErrConfig", raw, err)
		}
	}
	if _, err := NewSinkOperator("s", OperatorConfig{Connection: "c", Table: "t", Columns: []string{"a"}}, nil); !errors.Is(err, operator.ErrConfig) {
		t.Fatalf("no pool provider: %v, want ErrConfig", err)
	}
	// A connection the provider cannot open fails the task when it opens.
	op, err := NewSinkOperator("s", OperatorConfig{Connection: "c", Table: "t", Columns: []string{"a"}}, pools)
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Open(&operator.Context{JobID: "j"}); err == nil {
		t.Fatal("Open with an unavailable connection succeeded")
	}
}

// seqBatch is a batch of (x, y, kind) with y = from..to-1, x = "a": positional sink input
// whose names differ from the table's columns, with a trailing kind column of inserts.
func seqBatch(from, to int) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.BinaryTypes.String},
		{Name: "y", Type: arrow.PrimitiveTypes.Int64}, {Name: "$kind", Type: arrow.PrimitiveTypes.Int8}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := from; i < to; i++ {
		b.Field(0).(*array.StringBuilder).Append("a")
		b.Field(1).(*array.Int64Builder).Append(int64(i))
		b.Field(2).(*array.Int8Builder).Append(0)
	}
	return b.NewRecordBatch()
}

// TestSinkOperatorEndOfInputExactlyOnce runs the operator as the SQL sink configures it: an
// attempt finishes its bounded input (committed under the final marker), a newer attempt
// replays the same input from the start and writes nothing twice, and the older attempt, now
// fenced, can no longer commit.
func TestSinkOperatorEndOfInputExactlyOnce(t *testing.T) {
	t.Parallel()
	pool := appendTable(t)
	ctx := context.Background()
	pools := func(context.Context, string) (*pgxpool.Pool, error) { return pool, nil }
	cfg := OperatorConfig{Connection: "db", Table: "events", Columns: []string{"k", "seq"}, ByPosition: true}
	open := func(attempt uint64) operator.Operator {
		op, err := NewSinkOperator("", cfg, pools)
		if err != nil {
			t.Fatal(err)
		}
		if err := op.Open(&operator.Context{JobID: "j", Operator: "sink", Attempt: attempt, Ctx: ctx}); err != nil {
			t.Fatal(err)
		}
		return op
	}
	write := func(op operator.Operator, from, to int) {
		rec := seqBatch(from, to)
		defer rec.Release()
		if err := op.ProcessBatch(0, rec, nil); err != nil {
			t.Fatal(err)
		}
	}
	first := open(1)
	write(first, 0, 10)
	if err := first.SnapshotState(1, io.Discard); err != nil {
		t.Fatal(err)
	}
	write(first, 10, 15)
	second := open(2) // fences attempt 1
	if err := first.(operator.CheckpointListener).NotifyCheckpointComplete(ctx, 1); !errors.Is(err, ErrFenced) {
		t.Fatalf("fenced attempt's commit: %v, want ErrFenced", err)
	}
	write(second, 0, 15)
	if err := second.Finish(nil); err != nil {
		t.Fatal(err)
	}
	third := open(3) // a replay after the end of input was committed
	write(third, 0, 15)
	if err := third.Finish(nil); err != nil {
		t.Fatal(err)
	}
	var n, distinct int
	if err := pool.QueryRow(ctx, "SELECT count(*), count(DISTINCT seq) FROM events").Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != 15 || distinct != 15 {
		t.Fatalf("events: %d rows, %d distinct, want 15 once each", n, distinct)
	}
}

func TestSinkOperatorBufferBound(t *testing.T) {
	t.Parallel()
	pool := appendTable(t)
	pools := func(context.Context, string) (*pgxpool.Pool, error) { return pool, nil }
	op, err := NewSinkOperator("s", OperatorConfig{Connection: "db", Table: "events", Columns: []string{"k", "seq"},
		ByPosition: true, MaxBufferedRows: 8}, pools)
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Open(&operator.Context{JobID: "j", Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	rec := seqBatch(0, 5)
	defer rec.Release()
	if err := op.ProcessBatch(0, rec, nil); err != nil {
		t.Fatal(err)
	}
	if err := op.SnapshotState(1, io.Discard); err != nil { // the barrier resets the bound
		t.Fatal(err)
	}
	for i, want := range []error{nil, ErrBufferFull} {
		if err := op.ProcessBatch(0, rec, nil); !errors.Is(err, want) && !(want == nil && err == nil) {
			t.Fatalf("batch %d: %v, want %v", i, err, want)
		}
	}
}
