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

// TestAccumulatorStateRoundTrip: a sum moves through total/restore exactly, and a MIN whose
// multiset is restored without its cached extreme finds it.
func TestAccumulatorStateRoundTrip(t *testing.T) {
	t.Parallel()
	s := newAccumulator(sql.AggCallSpec{Func: "SUM", Args: []int{0}, Filter: -1, Type: "BIGINT"}, dataflow.BigInt).(*sumAcc)
	for _, v := range []int64{40, 2, math.MaxInt64, -math.MaxInt64} {
		s.add(v, 1)
	}
	sum, n := s.total()
	fresh := newAccumulator(sql.AggCallSpec{Func: "SUM", Args: []int{0}, Filter: -1, Type: "BIGINT"}, dataflow.BigInt).(*sumAcc)
	fresh.restore(sum, n)
	fresh.add(int64(-2), 1)
	if got := fresh.result(); got != int64(40) {
		t.Fatalf("restored SUM = %v, want 40", got)
	}
	mn := newAccumulator(sql.AggCallSpec{Func: "MIN", Args: []int{0}, Filter: -1, Type: "BIGINT"}, dataflow.BigInt).(*extremeAcc)
	for _, v := range []int64{7, 3, 9} {
		mn.values[keyOf([]any{v})] = &counted{v: v, n: 1}
	}
	if got := mn.result(); got != int64(3) {
		t.Fatalf("MIN of restored values = %v, want 3", got)
	}
}
