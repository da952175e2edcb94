package eval

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/flowplane/flowplane/dataflow"
)

type evalFn = func(row []any) (any, error)

// evalArgs evaluates every argument; null reports whether one is NULL.
func evalArgs(args []*Expr, row []any) (vals []any, null bool, err error) {
	vals = make([]any, len(args))
	for i, a := range args {
		if vals[i], err = a.eval(row); err != nil {
			return nil, false, err
		}
		null = null || vals[i] == nil
	}
	return vals, null, nil
}

// strict wraps f so that a NULL argument gives NULL, and normalizes the result to t.
func strict(args []*Expr, t dataflow.LogicalType, f func(v []any) (any, error)) evalFn {
	return func(row []any) (any, error) {
		vals, null, err := evalArgs(args, row)
		if err != nil || null {
			return nil, err
		}
		out, err := f(vals)
		if err != nil || out == nil {
			return nil, err
		}
		return normalize(out, t)
	}
}

func (c *compiler) call(op string, args []*Expr, t dataflow.LogicalType) (evalFn, error) {
	want := func(n int) error {
		if len(args) != n {
			return fmt.Errorf("%w: %s takes %d arguments, have %d", ErrDecode, op, n, len(args))
		}
		return nil
	}
	switch op {
	case "AND", "OR":
		if err := want(2); err != nil {
			return nil, err
		}
		return logic(op == "AND", args[0], args[1]), nil
	case "NOT":
		if err := want(1); err != nil {
			return nil, err
		}
		return strict(args, t, func(v []any) (any, error) { return !v[0].(bool), nil }), nil
	case "IS_NULL", "IS_NOT_NULL", "IS_TRUE", "IS_FALSE":
		if err := want(1); err != nil {
			return nil, err
		}
		return isTest(op, args[0]), nil
	case "=", "<>", "<", "<=", ">", ">=":
		if err := want(2); err != nil {
			return nil, err
		}
		return strict(args, t, func(v []any) (any, error) {
			c, err := compare(v[0], v[1])
			return cmpResult(op, c), err
		}), nil
	case "+", "-", "*", "/", "MOD", "NEG":
		return arithmetic(op, args, t)
	case "||":
		return strict(args, t, func(v []any) (any, error) { return v[0].(string) + v[1].(string), nil }), nil
	case "CASE":
		return caseFn(args), nil
	case "IN":
		return inFn(args), nil
	case "BETWEEN":
		if err := want(3); err != nil {
			return nil, err
		}
		return strict(args, t, func(v []any) (any, error) {
			lo, err1 := compare(v[0], v[1])
			hi, err2 := compare(v[0], v[2])
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("%w: BETWEEN on incomparable values", ErrEval)
			}
			return lo >= 0 && hi <= 0, nil
		}), nil
	case "LIKE":
		return likeFn(args, t)
	case "CAST", "TRY_CAST":
		if err := want(1); err != nil {
			return nil, err
		}
		return castFn(args[0], t, op == "TRY_CAST"), nil
	}
	if unit, ok := strings.CutPrefix(op, "EXTRACT_"); ok {
		if err := want(1); err != nil {
			return nil, err
		}
		return extractFn(unit, args[0], t)
	}
	return c.function(op, args, t)
}

func cmpResult(op string, c int) bool {
	switch op {
	case "=":
		return c == 0
	case "<>":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

// logic is three-valued AND/OR: FALSE AND NULL is FALSE, TRUE OR NULL is TRUE.
func logic(and bool, a, b *Expr) evalFn {
	return func(row []any) (any, error) {
		x, err := a.eval(row)
		if err != nil {
			return nil, err
		}
		if x != nil && x.(bool) != and {
			return !and, nil
		}
		y, err := b.eval(row)
		if err != nil {
			return nil, err
		}
		switch {
		case y != nil && y.(bool) != and:
			return !and, nil
		case x == nil || y == nil:
			return nil, nil
		}
		return and, nil
	}
}

func isTest(op string, a *Expr) evalFn {
	return func(row []any) (any, error) {
		v, err := a.eval(row)
		if err != nil {
			return nil, err
		}
		switch op {
		case "IS_NULL":
			return v == nil, nil
		case "IS_NOT_NULL":
			return v != nil, nil
		case "IS_TRUE":
			return v == true, nil
		}
		return v == false, nil
	}
}

func caseFn(args []*Expr) evalFn {
	return func(row []any) (any, error) {
		for i := 0; i+1 < len(args); i += 2 {
			cond, err := args[i].eval(row)
			if err != nil {
				return nil, err
			}
			if cond == true {
				return args[i+1].eval(row)
			}
		}
		if len(args)%2 == 1 {
			return args[len(args)-1].eval(row)
		}
		return nil, nil
	}
}

// inFn is x IN (list): TRUE on a match, else NULL if x or an item is NULL, else FALSE.
func inFn(args []*Expr) evalFn {
	return func(row []any) (any, error) {
		x, err := args[0].eval(row)
		if err != nil || x == nil {
			return nil, err
		}
		sawNull := false
		for _, a := range args[1:] {
			v, err := a.eval(row)
			if err != nil {
				return nil, err
			}
			if v == nil {
				sawNull = true
				continue
			}
			if c, err := compare(x, v); err == nil && c == 0 {
				return true, nil
			}
		}
		if sawNull {
			return nil, nil
		}
		return false, nil
	}
}

func arithmetic(op string, args []*Expr, t dataflow.LogicalType) (evalFn, error) {
	if op == "NEG" {
		return strict(args, t, func(v []any) (any, error) {
			switch x := v[0].(type) {
			case int64:
				return -x, nil
			case float64:
				return -x, nil
			case *big.Rat:
				return new(big.Rat).Neg(x), nil
			}
			return nil, fmt.Errorf("%w: cannot negate %T", ErrEval, v[0])
		}), nil
	}
	if len(args) != 2 {
		return nil, fmt.Errorf("%w: %s takes 2 arguments", ErrDecode, op)
	}
	lt, rt := args[0].Type, args[1].Type
	switch {
	case isTemporalKind(lt.Kind) && isIntervalKind(rt.Kind):
		return strict(args, t, func(v []any) (any, error) { return addInterval(v[0].(int64), lt, v[1].(int64), rt, op == "-"), nil }), nil
	case isIntervalKind(lt.Kind) && isTemporalKind(rt.Kind):
		return strict(args, t, func(v []any) (any, error) { return addInterval(v[1].(int64), rt, v[0].(int64), lt, false), nil }), nil
	}
	return strict(args, t, func(v []any) (any, error) { return numeric(op, v[0], v[1], t) }), nil
}

func isTemporalKind(k dataflow.TypeKind) bool {
	return k == dataflow.TypeTimestamp || k == dataflow.TypeTimestampLTZ || k == dataflow.TypeDate || k == dataflow.TypeTime
}

func isIntervalKind(k dataflow.TypeKind) bool {
	return k == dataflow.TypeIntervalDay || k == dataflow.TypeIntervalMonth
}

// addInterval adds (or subtracts) an interval to a temporal value.
func addInterval(v int64, vt dataflow.LogicalType, iv int64, it dataflow.LogicalType, sub bool) int64 {
	if sub {
		iv = -iv
	}
	if it.Kind == dataflow.TypeIntervalMonth {
		out := timeOf(v, vt).AddDate(0, int(iv), 0).UnixMilli()
		if vt.Kind == dataflow.TypeDate {
			return out / msPerDay
		}
		return out
	}
	if vt.Kind == dataflow.TypeDate {
		return v + iv/msPerDay
	}
	return v + iv
}

// numeric applies + - * / MOD in the arithmetic of the result type t.
func numeric(op string, a, b any, t dataflow.LogicalType) (any, error) {
	switch {
	case isIntegerKind(t.Kind) || isIntervalKind(t.Kind):
		x, _ := toInt(a)
		y, _ := toInt(b)
		switch op {
		case "+":
			return x + y, nil
		case "-":
			return x - y, nil
		case "*":
			return x * y, nil
		}
		if y == 0 {
			return nil, ErrDivision
		}
		if op == "/" {
			return x / y, nil
		}
		return x % y, nil
	case t.Kind == dataflow.TypeFloat || t.Kind == dataflow.TypeDouble:
		x, _ := toFloat(a)
		y, _ := toFloat(b)
		switch op {
		case "+":
			return x + y, nil
		case "-":
			return x - y, nil
		case "*":
			return x * y, nil
		case "/":
			return x / y, nil
		}
		if y == 0 {
			return nil, ErrDivision
		}
		return x - y*float64(int64(x/y)), nil
	}
	x, ok1 := toRat(a)
	y, ok2 := toRat(b)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%w: %s on %T and %T", ErrEval, op, a, b)
	}
	switch op {
	case "+":
		return new(big.Rat).Add(x, y), nil
	case "-":
		return new(big.Rat).Sub(x, y), nil
	case "*":
		return new(big.Rat).Mul(x, y), nil
	}
	if y.Sign() == 0 {
		return nil, ErrDivision
	}
	q := new(big.Rat).Quo(x, y)
	if op == "/" {
		return q, nil
	}
	whole := new(big.Rat).SetInt(new(big.Int).Quo(q.Num(), q.Denom()))
	return new(big.Rat).Sub(x, new(big.Rat).Mul(whole, y)), nil
}
