package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/services/pgtest"
)

func TestRowsFromBatchIntoUpsertTable(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "op", Type: arrow.PrimitiveTypes.Int8},
		{Name: "id", Type: arrow.PrimitiveTypes.Int32},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "price", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.Int8Builder).AppendValues([]int8{0, 0, 1, 2, 3}, nil)
	b.Field(1).(*array.Int32Builder).AppendValues([]int32{1, 2, 1, 1, 2}, nil)
	b.Field(2).(*array.StringBuilder).AppendValues([]string{"a", "", "a", "a2", ""}, []bool{true, false, true, true, false})
	for _, p := range []int64{150, 200, 150, 1999, 200} {
		b.Field(3).(*array.Decimal128Builder).Append(decimal128.FromI64(p))
	}
	ts := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	for range 5 {
		b.Field(4).(*array.TimestampBuilder).Append(arrow.Timestamp(ts.UnixMilli()))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()

	cols := []string{"id", "name", "price", "ts"}
	rows, err := RowsFromBatch(rec, cols, "op")
	if err != nil {
		t.Fatal(err)
	}
	if rows[2].Kind != UpdateBefore || rows[4].Kind != Delete || rows[1].Values[1] != nil || rows[3].Values[2] != "19.99" {
		t.Fatalf("rows = %v", rows)
	}

	pool := pgtest.NewPool(t)
	exec(t, pool, "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), ts timestamptz)")
	s, err := NewSink(context.Background(), pool, SinkConfig{SinkID: "items", Attempt: 1, Table: "items", Columns: cols, Mode: Upsert, PrimaryKey: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(rows...); err != nil {
		t.Fatal(err)
	}
	snapshot(t, s, 1)
	notify(t, s, 1)
	var name, price string
	var got time.Time
	err = pool.QueryRow(context.Background(), "SELECT name, price::text, ts FROM items WHERE id = 1").Scan(&name, &price, &got)
	if err != nil || name != "a2" || price != "19.99" || !got.Equal(ts) {
		t.Fatalf("row 1 = %q %q %v (%v)", name, price, got, err)
	}
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM items").Scan(&n); err != nil || n != 1 {
		t.Fatalf("count = %d (%v), want 1: key 2 was deleted", n, err)
	}
}

func TestRowsFromBatchErrors(t *testing.T) {
	t.Parallel()
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.BinaryTypes.String}, {Name: "d", Type: arrow.FixedWidthTypes.MonthInterval}}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).Append("+X")
	b.Field(1).(*array.MonthIntervalBuilder).Append(1)
	rec := b.NewRecordBatch()
	defer rec.Release()
	if _, err := RowsFromBatch(rec, []string{"missing"}, ""); !errors.Is(err, ErrRow) {
		t.Fatalf("missing column: %v", err)
	}
	if _, err := RowsFromBatch(rec, []string{"k"}, "k"); !errors.Is(err, ErrRow) {
		t.Fatalf("bad kind: %v", err)
	}
	if _, err := RowsFromBatch(rec, []string{"d"}, ""); !errors.Is(err, ErrUnsupportedValue) {
		t.Fatalf("interval: %v", err)
	}
}

func TestAppendCopiesEveryValueType(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	exec(t, pool, `CREATE TABLE every (b bool, i int, l bigint, r real, d double precision, s text, y bytea,
		n numeric(10,2), dt date, ts timestamp, tz timestamptz)`)
	cols := []string{"b", "i", "l", "r", "d", "s", "y", "n", "dt", "ts", "tz"}
	s, err := NewSink(context.Background(), pool, SinkConfig{SinkID: "every", Attempt: 1, Table: "every", Columns: cols, Mode: Append})
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	vals := []any{true, int32(7), int64(8), float32(1.5), 2.5, "x", []byte{1}, "12.34", ts, ts, ts}
	if err := s.Write(Row{Kind: Insert, Values: vals}, Row{Kind: Insert, Values: make([]any, len(cols))}); err != nil {
		t.Fatal(err)
	}
	snapshot(t, s, 1)
	if res := notify(t, s, 1); res.Rows != 2 {
		t.Fatalf("rows = %d, want 2", res.Rows)
	}
	var n string
	if err := pool.QueryRow(context.Background(), "SELECT n::text FROM every WHERE b").Scan(&n); err != nil || n != "12.34" {
		t.Fatalf("numeric = %q (%v)", n, err)
	}
}

// TestRowsFromBatchOwnTheirStrings: rows outlive their batch (the sink keeps them until a
// checkpoint commits), whose buffers the allocator then reuses: strings must be copies.
func TestRowsFromBatchOwnTheirStrings(t *testing.T) {
	t.Parallel()
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"customer-1", "customer-2"}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	rows, err := RowsFromBatch(rec, []string{"s"}, "")
	if err != nil {
		t.Fatal(err)
	}
	data := rec.Column(0).Data().Buffers()[2].Bytes()
	for i := range data {
		data[i] = 0xff // what a reused buffer may hold
	}
	if rows[0].Values[0] != "customer-1" || rows[1].Values[0] != "customer-2" {
		t.Fatalf("rows alias the batch's buffer: %q", []any{rows[0].Values[0], rows[1].Values[0]})
	}
}
