package exec

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow/sql/eval"
)

// kernelBatch has columns a BIGINT (with NULLs and extremes), b INT, ts TIMESTAMP(3), f BOOLEAN
// (with NULLs).
func kernelBatch(t *testing.T) arrow.RecordBatch {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "b", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Millisecond}, Nullable: true},
		{Name: "f", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	as := []int64{0, 1, -1, 7, -7, 123, 246, -246, 1000, 999999, math.MaxInt64, math.MinInt64, math.MaxInt64 / 908, 5, 1 << 40}
	for i, a := range as {
		if i == 3 {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.Int64Builder).Append(a)
		}
		b.Field(1).(*array.Int32Builder).Append(int32(i - 4))
		b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(1_700_000_000_000 + int64(i)*999))
		if i%4 == 2 {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.BooleanBuilder).Append(i%3 == 0)
		}
	}
	return b.NewRecordBatch()
}

func TestKernelsMatchEval(t *testing.T) {
	t.Parallel()
	rec := kernelBatch(t)
	defer rec.Release()
	in := func(i int, typ string) string { return `{"input":` + string(rune('0'+i)) + `,"type":"` + typ + `"}` }
	lit := func(v, typ string) string { return `{"literal":` + v + `,"type":"` + typ + `","not_null":true}` }
	call := func(op, typ string, args ...string) string {
		s := `{"call":"` + op + `","args":[`
		for i, a := range args {
			if i > 0 {
				s += ","
			}
			s += a
		}
		return s + `],"type":"` + typ + `"}`
	}
	a, b, ts, f := in(0, "BIGINT"), in(1, "INT"), in(2, "TIMESTAMP(3)"), in(3, "BOOLEAN")
	exprs := []string{
		call("=", "BOOLEAN", call("MOD", "INT", a, lit("123", "INT")), lit("0", "INT")),
		call("MOD", "BIGINT", a, b),
		call("/", "BIGINT", a, b),
		call("+", "BIGINT", a, call("*", "BIGINT", b, lit("3", "INT"))),
		call("-", "BIGINT", a, b),
		call("CAST", "DECIMAL(23,3)", call("*", "DECIMAL(22,3)", lit(`"0.908"`, "DECIMAL(3,3)"), a)),
		call("*", "DECIMAL(10,1)", lit(`"0.908"`, "DECIMAL(3,3)"), b),
		call("*", "DECIMAL(12,2)", lit(`"1.5"`, "DECIMAL(2,1)"), a),
		call("+", "DECIMAL(20,2)", lit(`"-0.25"`, "DECIMAL(3,2)"), a),
		call("-", "DECIMAL(20,2)", a, lit(`"0.125"`, "DECIMAL(4,3)")),
		call("CAST", "DECIMAL(19,0)", call("*", "DECIMAL(20,3)", lit(`"0.5"`, "DECIMAL(2,1)"), b)),
		call(">=", "BOOLEAN", call("*", "DECIMAL(22,3)", lit(`"0.908"`, "DECIMAL(3,3)"), a), a),
		call("<", "BOOLEAN", lit(`"2.5"`, "DECIMAL(2,1)"), b),
		call("AND", "BOOLEAN", f, call("<>", "BOOLEAN", a, lit("5", "BIGINT"))),
		call("OR", "BOOLEAN", f, call(">", "BOOLEAN", b, lit("2", "INT"))),
		call("NOT", "BOOLEAN", f),
		call("IS_NULL", "BOOLEAN", a),
		call("IS_NOT_NULL", "BOOLEAN", f),
		call("-", "TIMESTAMP(3)", ts, lit("4000", "INTERVAL DAY TO SECOND")),
		call("<=", "BOOLEAN", ts, call("+", "TIMESTAMP(3)", ts, lit("10", "INTERVAL DAY TO SECOND"))),
		call("CAST", "INT", a),
	}
	for _, src := range exprs {
		k := compileKernel(json.RawMessage(src))
		if k == nil {
			t.Fatalf("no kernel for %s", src)
		}
		e, err := eval.Decode(json.RawMessage(src), eval.Env{})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if err := k.bind(rec); err != nil {
			t.Fatalf("bind %s: %v", src, err)
		}
		fallbacks := 0
		for r := range int(rec.NumRows()) {
			row, err := readRow(rec, r, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, werr := e.Eval(row)
			v, ok, kerr := k.eval(r)
			if kerr != nil {
				if !errors.Is(kerr, errKernel) {
					t.Fatalf("%s row %d: kernel error %v", src, r, kerr)
				}
				fallbacks++
				continue // the batch falls back to eval, whatever it says
			}
			if werr != nil {
				t.Fatalf("%s row %d: eval fails (%v), kernel gives %d %v", src, r, werr, v, ok)
			}
			if got := kernelValue(k, v, ok); !sameValue(got, want) {
				t.Fatalf("%s row %d: kernel %v, eval %v", src, r, got, want)
			}
		}
		if fallbacks > 4 {
			t.Fatalf("%s: kernel gave up on %d rows", src, fallbacks)
		}
	}
}

func kernelValue(k *kernel, v int64, ok bool) any {
	switch {
	case !ok:
		return nil
	case k.kind == kBool:
		return v == 1
	case k.kind == kDec:
		return new(big.Rat).SetFrac(big.NewInt(v), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k.scale)), nil))
	}
	return v
}

func sameValue(a, b any) bool {
	if x, ok := a.(*big.Rat); ok {
		y, ok := b.(*big.Rat)
		return ok && x.Cmp(y) == 0
	}
	return a == b
}

func TestKernelUnsupportedShapes(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		`{"input":0,"type":"STRING"}`,
		`{"call":"=","args":[{"input":0,"type":"STRING"},{"literal":"x","type":"STRING"}],"type":"BOOLEAN"}`,
		`{"call":"/","args":[{"input":0,"type":"DECIMAL(10,2)"},{"literal":2,"type":"INT"}],"type":"DECIMAL(10,2)"}`,
		`{"null":true,"type":"BIGINT"}`,
		`{"call":"*","args":[{"input":0,"type":"DOUBLE"},{"literal":2,"type":"INT"}],"type":"DOUBLE"}`,
	} {
		if k := compileKernel(json.RawMessage(src)); k != nil {
			t.Fatalf("kernel for unsupported %s", src)
		}
	}
}
