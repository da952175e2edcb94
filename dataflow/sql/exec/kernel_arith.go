package exec

import (
	"math"

	"github.com/flowplane/flowplane/dataflow"
)

// Kernels of arithmetic, decimal rescaling and CAST (see kernel.go).

// decScale is the scale of a numeric kernel's values (0 for integers).
func (k *kernel) decScale() int {
	if k.kind == kDec {
		return k.scale
	}
	return 0
}

// rescaleKernel gives a's numeric values as decimals of scale s, rounding half away from
// zero when s is smaller than a's scale (package eval's rounding).
func rescaleKernel(a *kernel, s int) *kernel {
	from := a.decScale()
	if from == s && a.kind == kDec {
		return a
	}
	if s-from > 18 || from-s > 18 {
		return nil
	}
	k := &kernel{kind: kDec, scale: s, t: a.t}
	switch {
	case s >= from:
		f := pow10i(s - from)
		k.eval = func(r int) (int64, bool, error) {
			v, ok, err := a.eval(r)
			if err != nil || !ok {
				return 0, ok, err
			}
			out, fits := mulChecked(v, f)
			if !fits {
				return 0, false, errKernel
			}
			return out, true, nil
		}
	default:
		d := pow10i(from - s)
		k.eval = func(r int) (int64, bool, error) {
			v, ok, err := a.eval(r)
			if err != nil || !ok {
				return 0, ok, err
			}
			return divRound(v, d), true, nil
		}
	}
	return k
}

func pow10i(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// mulChecked multiplies, reporting false on int64 overflow.
func mulChecked(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	if (c < 0) != ((a < 0) != (b < 0)) || c/b != a {
		return 0, false
	}
	return c, true
}

// divRound divides by d > 0, rounding half away from zero.
func divRound(v, d int64) int64 {
	q, m := v/d, v%d
	if m < 0 {
		m = -m
	}
	if m >= d-m {
		if v < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}

// fitDecimal rescales a decimal kernel to type t's scale and checks t's precision, as eval's
// normalize does (an overflow falls back, so eval reports it).
func fitDecimal(a *kernel, t dataflow.LogicalType) *kernel {
	k := rescaleKernel(a, t.Scale)
	if k == nil {
		return nil
	}
	if t.Precision > 18 {
		return &kernel{kind: kDec, scale: t.Scale, t: t, eval: k.eval}
	}
	limit := pow10i(t.Precision)
	return &kernel{kind: kDec, scale: t.Scale, t: t, eval: func(r int) (int64, bool, error) {
		v, ok, err := k.eval(r)
		if err == nil && ok && (v >= limit || v <= -limit) {
			return 0, false, errKernel
		}
		return v, ok, err
	}}
}

func arithKernel(op string, a, b *kernel, t dataflow.LogicalType) *kernel {
	switch {
	case a.kind == kBool || b.kind == kBool:
		return nil
	case isIntKind(t.Kind) || t.Kind == dataflow.TypeIntervalDay || t.Kind == dataflow.TypeIntervalMonth:
		if a.kind != kInt || b.kind != kInt || !intOperand(a.t) || !intOperand(b.t) {
			return nil
		}
		return binaryKernel(a, b, kInt, 0, t, intOp(op))
	case (t.Kind == dataflow.TypeTimestamp || t.Kind == dataflow.TypeTimestampLTZ) &&
		(a.t.Kind == dataflow.TypeTimestamp || a.t.Kind == dataflow.TypeTimestampLTZ) &&
		b.t.Kind == dataflow.TypeIntervalDay && (op == "+" || op == "-"):
		return binaryKernel(a, b, kInt, 0, t, intOp(op))
	case t.Kind == dataflow.TypeDecimal && op == "*":
		if !numericOperand(a) || !numericOperand(b) {
			return nil
		}
		prod := binaryKernel(a, b, kDec, a.decScale()+b.decScale(), t, func(x, y int64) (int64, error) {
			if v, ok := mulChecked(x, y); ok {
				return v, nil
			}
			return 0, errKernel
		})
		return fitDecimal(prod, t)
	case t.Kind == dataflow.TypeDecimal && (op == "+" || op == "-"):
		if !numericOperand(a) || !numericOperand(b) {
			return nil
		}
		s := max(a.decScale(), b.decScale())
		if a, b = rescaleKernel(a, s), rescaleKernel(b, s); a == nil || b == nil {
			return nil
		}
		sum := binaryKernel(a, b, kDec, s, t, func(x, y int64) (int64, error) {
			if op == "-" {
				if y == math.MinInt64 {
					return 0, errKernel
				}
				y = -y
			}
			v := x + y
			if (x >= 0) == (y >= 0) && (v >= 0) != (x >= 0) {
				return 0, errKernel
			}
			return v, nil
		})
		return fitDecimal(sum, t)
	}
	return nil
}

// intOperand reports whether eval's integer arithmetic reads values of type t as they are.
func intOperand(t dataflow.LogicalType) bool {
	return isIntKind(t.Kind) || t.Kind == dataflow.TypeIntervalDay || t.Kind == dataflow.TypeIntervalMonth
}

// numericOperand reports whether a is an integer or a decimal (not a temporal value).
func numericOperand(a *kernel) bool {
	return a.kind == kDec || a.kind == kInt && isIntKind(a.t.Kind)
}

// intOp is eval's integer arithmetic (wrapping like Go; division by zero falls back so eval
// reports it).
func intOp(op string) func(x, y int64) (int64, error) {
	switch op {
	case "+":
		return func(x, y int64) (int64, error) { return x + y, nil }
	case "-":
		return func(x, y int64) (int64, error) { return x - y, nil }
	case "*":
		return func(x, y int64) (int64, error) { return x * y, nil }
	case "/":
		return func(x, y int64) (int64, error) {
			if y == 0 {
				return 0, errKernel
			}
			return x / y, nil
		}
	}
	return func(x, y int64) (int64, error) {
		if y == 0 {
			return 0, errKernel
		}
		return x % y, nil
	}
}

// binaryKernel applies f to two non-NULL values (NULL if either is NULL).
func binaryKernel(a, b *kernel, kind kernelKind, scale int, t dataflow.LogicalType, f func(x, y int64) (int64, error)) *kernel {
	return &kernel{kind: kind, scale: scale, t: t, eval: func(r int) (int64, bool, error) {
		x, okx, err := a.eval(r)
		if err != nil || !okx {
			return 0, false, err
		}
		y, oky, err := b.eval(r)
		if err != nil || !oky {
			return 0, false, err
		}
		v, err := f(x, y)
		return v, err == nil, err
	}}
}

func castKernel(a *kernel, t dataflow.LogicalType) *kernel {
	switch {
	case isIntKind(t.Kind) && a.kind == kInt && isIntKind(a.t.Kind):
		return &kernel{kind: kInt, t: t, eval: a.eval}
	case (t.Kind == dataflow.TypeTimestamp || t.Kind == dataflow.TypeTimestampLTZ) && a.kind == kInt &&
		(a.t.Kind == dataflow.TypeTimestamp || a.t.Kind == dataflow.TypeTimestampLTZ):
		return &kernel{kind: kInt, t: t, eval: a.eval}
	case t.Kind == dataflow.TypeBoolean && a.kind == kBool:
		return a
	case t.Kind == dataflow.TypeDecimal && numericOperand(a):
		return fitDecimal(a, t)
	}
	return nil
}
