package exec

import (
	"math"
	"math/big"
	"testing"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/sql"
)

func TestSumCarriesIntegerOverflowExactly(t *testing.T) {
	t.Parallel()
	dec := dataflow.Decimal(38, 0)
	a := newAccumulator(sql.AggCallSpec{Func: "SUM", Args: []int{0}, Filter: -1, Type: dec.String()}, dec)
	for range 4 {
		a.add(int64(math.MaxInt64), 1)
	}
	a.add(int64(math.MaxInt64), -1)
	a.add(int64(-5), 1)
	want := new(big.Rat).SetInt64(math.MaxInt64)
	want.Mul(want, big.NewRat(3, 1)).Sub(want, big.NewRat(5, 1))
	if got, ok := a.result().(*big.Rat); !ok || got.Cmp(want) != 0 {
		t.Fatalf("SUM = %v, want %v", a.result(), want.RatString())
	}
	avg := newAccumulator(sql.AggCallSpec{Func: "AVG", Args: []int{0}, Filter: -1, Type: "BIGINT"}, dataflow.BigInt)
	for _, v := range []int64{1, 2, 4} {
		avg.add(v, 1)
	}
	if got := avg.result(); got != int64(2) {
		t.Fatalf("AVG(1, 2, 4) = %v, want 2 (truncated)", got)
	}
}

func TestMinMaxSurviveRetractions(t *testing.T) {
	t.Parallel()
	mx := newAccumulator(sql.AggCallSpec{Func: "MAX", Args: []int{0}, Filter: -1, Type: "BIGINT"}, dataflow.BigInt)
	mn := newAccumulator(sql.AggCallSpec{Func: "MIN", Args: []int{0}, Filter: -1, Type: "BIGINT"}, dataflow.BigInt)
	for _, v := range []int64{5, 9, 1, 9} {
		mx.add(v, 1)
		mn.add(v, 1)
	}
	check := func(wantMax, wantMin any) {
		t.Helper()
		if mx.result() != wantMax || mn.result() != wantMin {
			t.Fatalf("MAX, MIN = %v, %v; want %v, %v", mx.result(), mn.result(), wantMax, wantMin)
		}
	}
	check(int64(9), int64(1))
	mx.add(int64(9), -1) // one 9 remains
	mn.add(int64(1), -1)
	check(int64(9), int64(5))
	mx.add(int64(9), -1)
	check(int64(5), int64(5))
	mx.add(int64(7), 1)
	check(int64(7), int64(5))
}
