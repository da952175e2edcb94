package exec

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// chain passes a batch through ops[i:], like a vertex's operator chain.
type chain struct {
	ops []operator.Operator
	i   int
	wms *[]int64
}

func (c chain) Emit(rec arrow.RecordBatch) error {
	if c.i == len(c.ops) {
		return nil
	}
	return c.ops[c.i].ProcessBatch(0, rec, chain{c.ops, c.i + 1, c.wms})
}

func (c chain) EmitWatermark(wm int64) error {
	if c.i == len(c.ops) {
		*c.wms = append(*c.wms, wm)
		return nil
	}
	return c.ops[c.i].ProcessWatermark(wm, chain{c.ops, c.i + 1, c.wms})
}

// runSingleVertex compiles a one-vertex script and runs its chain to the end of input,
// returning what the print sink wrote and the watermarks that reached the end of the chain.
func runSingleVertex(t *testing.T, src string) (string, []int64) {
	t.Helper()
	g, diags := sql.Compile(src, sql.CompileOptions{})
	if len(diags) > 0 {
		t.Fatalf("Compile: %v", diags)
	}
	if len(g.Vertices) != 1 {
		t.Fatalf("want one vertex, have %d", len(g.Vertices))
	}
	var out bytes.Buffer
	reg := operator.NewRegistry()
	if err := Register(reg, Options{Print: &out}); err != nil {
		t.Fatal(err)
	}
	var ops []operator.Operator
	for _, spec := range g.Vertices[0].Operators {
		op, err := reg.New(spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := op.Open(&operator.Context{Allocator: memory.DefaultAllocator, Parallelism: 1}); err != nil {
			t.Fatal(err)
		}
		ops = append(ops, op)
	}
	var wms []int64
	src0 := ops[0].(operator.Source)
	for {
		err := src0.Poll(context.Background(), chain{ops, 1, &wms})
		if errors.Is(err, operator.ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, op := range ops {
		if err := op.Finish(chain{ops, len(ops), &wms}); err != nil {
			t.Fatal(err)
		}
	}
	return out.String(), wms
}

func nexmarkScript(t *testing.T, q string, events int) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/nexmark_" + q + ".sql")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), "'events-per-second' = '10000'", "'events-per-second' = '10000', 'number-of-events' = '"+strconv.Itoa(events)+"', 'seed' = '3'")
	return strings.ReplaceAll(s, "'connector' = 'blackhole'", "'connector' = 'print', 'print-identifier' = '"+q+"'")
}

func TestNexmarkStatelessQueriesRun(t *testing.T) {
	t.Parallel()
	out, wms := runSingleVertex(t, nexmarkScript(t, "q22", 500))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 460 { // 500 events hold 10 epochs of 46 bids
		t.Fatalf("q22 printed %d rows, want 460", len(lines))
	}
	if !strings.HasPrefix(lines[0], "q22> +I[") || strings.Count(lines[0], ", ") != 6 {
		t.Fatalf("q22 row %q", lines[0])
	}
	if len(wms) == 0 {
		t.Fatalf("no watermark reached the sink")
	}
	out, _ = runSingleVertex(t, nexmarkScript(t, "q2", 20000))
	rows := strings.Split(strings.TrimSpace(out), "\n")
	if len(rows) < 2 {
		t.Fatalf("q2 printed %d rows over 20000 events, want some", len(rows))
	}
	for _, l := range rows {
		var auction, price int64
		if _, err := fmtSscanf(l, &auction, &price); err != nil || auction%123 != 0 {
			t.Fatalf("q2 row %q (auction %d)", l, auction)
		}
	}
	out, _ = runSingleVertex(t, nexmarkScript(t, "q1", 500))
	if n := strings.Count(out, "\n"); n != 460 {
		t.Fatalf("q1 printed %d rows, want 460", n)
	}
}
