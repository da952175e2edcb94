package sql

import (
	"math"

	"github.com/flowplane/flowplane/dataflow"
)

// timeOperand is a rowtime column plus a constant offset: col, col + INTERVAL, col - INTERVAL.
type timeOperand struct {
	col    int
	offset int64
}

// asTimeOperand matches col [± interval literal] where col is a rowtime attribute.
func asTimeOperand(r Rex, cols []Column) (timeOperand, bool) {
	switch r := r.(type) {
	case *RexInput:
		if cols[r.Index].Type.TimeAttr == RowTime {
			return timeOperand{col: r.Index}, true
		}
	case *RexCall:
		if (r.Op == "+" || r.Op == "-") && len(r.Args) == 2 {
			base, ok := asTimeOperand(r.Args[0], cols)
			lit, isLit := r.Args[1].(*RexLiteral)
			ms, isMs := literalMillis(lit, isLit)
			if ok && isMs {
				if r.Op == "-" {
					ms = -ms
				}
				base.offset += ms
				return base, true
			}
		}
	}
	return timeOperand{}, false
}

func literalMillis(lit *RexLiteral, ok bool) (int64, bool) {
	if !ok || !lit.T.isInterval() || lit.T.Kind != dataflow.TypeIntervalDay {
		return 0, false
	}
	ms, ok := lit.Value.(int64)
	return ms, ok
}

// detectInterval marks jr as an interval join when its inputs are append-only and its
// condition bounds a left rowtime against a right rowtime from both sides.
func detectInterval(jr *JoinRel) {
	jr.Interval = nil
	if jr.Cond == nil || jr.Left.Updating() || jr.Right.Updating() || (jr.Kind != "INNER" && jr.Kind != "LEFT") {
		return
	}
	cols := append(append([]Column(nil), jr.Left.Columns()...), jr.Right.Columns()...)
	n := len(jr.Left.Columns())
	iv := &IntervalBounds{LeftTime: -1, LowerMs: math.MinInt64, UpperMs: math.MaxInt64}
	// bound records a <= b for time operands a and b on opposite sides.
	bound := func(a, b timeOperand) {
		l, r, sign := a, b, int64(1)
		if a.col >= n {
			l, r, sign = b, a, -1
		}
		if l.col >= n || r.col < n {
			return
		}
		if iv.LeftTime >= 0 && (iv.LeftTime != l.col || iv.RightTime != r.col-n) {
			return
		}
		iv.LeftTime, iv.RightTime = l.col, r.col-n
		// sign 1: l.t + lo <= r.t + ro  =>  l.t - r.t <= ro - lo
		// sign -1: r.t + ro <= l.t + lo =>  l.t - r.t >= ro - lo
		d := r.offset - l.offset
		if sign > 0 {
			iv.UpperMs = min(iv.UpperMs, d)
		} else {
			iv.LowerMs = max(iv.LowerMs, d)
		}
	}
	for _, c := range conjuncts(jr.Cond) {
		call, ok := c.(*RexCall)
		if !ok {
			continue
		}
		ops := make([]timeOperand, len(call.Args))
		all := true
		for i, a := range call.Args {
			ops[i], ok = asTimeOperand(a, cols)
			all = all && ok
		}
		if !all {
			continue
		}
		switch call.Op {
		case "BETWEEN":
			bound(ops[1], ops[0])
			bound(ops[0], ops[2])
		case "<", "<=":
			bound(ops[0], ops[1])
		case ">", ">=":
			bound(ops[1], ops[0])
		}
	}
	if iv.LeftTime >= 0 && iv.LowerMs != math.MinInt64 && iv.UpperMs != math.MaxInt64 && iv.LowerMs <= iv.UpperMs {
		jr.Interval = iv
	}
}
