package exec

import (
	"encoding/json"
	"errors"
	"math/big"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowplane/flowplane/dataflow"
)

// A kernel evaluates an expression of a common shape (column references, integer, boolean
// and decimal literals, comparisons, AND/OR/NOT, IS [NOT] NULL, integer and decimal
// arithmetic, CAST between integers and decimals, timestamp +/- interval) on a row of a
// batch without boxing values into `any`: integers, temporal values and intervals are int64,
// booleans 0 or 1, decimals int64 unscaled at a fixed scale. Anything else, and any row that
// would overflow, divide by zero or raise another error, makes the kernel give up with
// errKernel: the caller then evaluates the whole batch with package eval, whose semantics
// kernels reproduce exactly.
type kernel struct {
	kind   kernelKind
	scale  int // decimal kernels: digits after the point
	t      dataflow.LogicalType
	eval   func(r int) (v int64, ok bool, err error) // ok false is NULL
	leaves []*kernelLeaf
}

type kernelKind int

const (
	kInt kernelKind = iota
	kBool
	kDec
)

// errKernel says a kernel cannot evaluate a row; the batch falls back to package eval.
var errKernel = errors.New("kernel fallback")

// kernelLeaf reads one input column; bind points it at a batch's column.
type kernelLeaf struct {
	col  int
	read func(r int) (int64, bool)
}

// kernelNode is the encoded sql.Rex (the same JSON package eval decodes).
type kernelNode struct {
	Input   *int            `json:"input"`
	Literal json.RawMessage `json:"literal"`
	Null    bool            `json:"null"`
	Call    string          `json:"call"`
	Args    []kernelNode    `json:"args"`
	Type    string          `json:"type"`
}

// compileKernel returns a kernel for the encoded expression, or nil when its shape is not
// supported.
func compileKernel(raw json.RawMessage) *kernel {
	var n kernelNode
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil
	}
	var leaves []*kernelLeaf
	k := buildKernel(n, &leaves)
	if k != nil {
		k.leaves = leaves
	}
	return k
}

// bind points the kernel's column reads at rec; errKernel when a column's type is not
// supported.
func (k *kernel) bind(rec arrow.RecordBatch) error {
	for _, l := range k.leaves {
		if l.col >= int(rec.NumCols()) {
			return errKernel
		}
		if l.read = columnReader(rec.Column(l.col)); l.read == nil {
			return errKernel
		}
	}
	return nil
}

func columnReader(a arrow.Array) func(r int) (int64, bool) {
	valid := func(get func(r int) int64) func(r int) (int64, bool) {
		if a.NullN() == 0 {
			return func(r int) (int64, bool) { return get(r), true }
		}
		return func(r int) (int64, bool) {
			if a.IsNull(r) {
				return 0, false
			}
			return get(r), true
		}
	}
	switch a := a.(type) {
	case *array.Int64:
		vals := a.Int64Values()
		return valid(func(r int) int64 { return vals[r] })
	case *array.Int32:
		vals := a.Int32Values()
		return valid(func(r int) int64 { return int64(vals[r]) })
	case *array.Int16:
		vals := a.Int16Values()
		return valid(func(r int) int64 { return int64(vals[r]) })
	case *array.Int8:
		vals := a.Int8Values()
		return valid(func(r int) int64 { return int64(vals[r]) })
	case *array.Timestamp:
		vals, unit := a.TimestampValues(), a.DataType().(*arrow.TimestampType).Unit
		if unit == arrow.Millisecond {
			return valid(func(r int) int64 { return int64(vals[r]) })
		}
		return valid(func(r int) int64 { return toMillis(int64(vals[r]), unit) })
	case *array.Date32:
		vals := a.Date32Values()
		return valid(func(r int) int64 { return int64(vals[r]) })
	case *array.Boolean:
		return valid(func(r int) int64 { return boolInt(a.Value(r)) })
	}
	return nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func isIntKind(k dataflow.TypeKind) bool {
	switch k {
	case dataflow.TypeTinyInt, dataflow.TypeSmallInt, dataflow.TypeInt, dataflow.TypeBigInt:
		return true
	}
	return false
}

// int64Kind reports whether values of kind k are int64s in package eval's convention and
// compare as such.
func int64Kind(k dataflow.TypeKind) bool {
	switch k {
	case dataflow.TypeTimestamp, dataflow.TypeTimestampLTZ, dataflow.TypeDate, dataflow.TypeTime,
		dataflow.TypeIntervalDay, dataflow.TypeIntervalMonth:
		return true
	}
	return isIntKind(k)
}

func buildKernel(n kernelNode, leaves *[]*kernelLeaf) *kernel {
	t, err := dataflow.ParseLogicalType(n.Type)
	if err != nil {
		return nil
	}
	switch {
	case n.Input != nil:
		return inputKernel(*n.Input, t, leaves)
	case n.Null:
		return nil
	case n.Literal != nil:
		return literalKernel(n.Literal, t)
	case n.Call == "":
		return nil
	}
	args := make([]*kernel, len(n.Args))
	for i, a := range n.Args {
		if args[i] = buildKernel(a, leaves); args[i] == nil {
			return nil
		}
	}
	return callKernel(n.Call, args, t)
}

func inputKernel(i int, t dataflow.LogicalType, leaves *[]*kernelLeaf) *kernel {
	k := &kernel{kind: kInt, t: t}
	switch {
	case t.Kind == dataflow.TypeBoolean:
		k.kind = kBool
	case !int64Kind(t.Kind):
		return nil
	}
	if i < 0 {
		return nil
	}
	l := &kernelLeaf{col: i}
	*leaves = append(*leaves, l)
	k.eval = func(r int) (int64, bool, error) {
		v, ok := l.read(r)
		return v, ok, nil
	}
	return k
}

func literalKernel(raw json.RawMessage, t dataflow.LogicalType) *kernel {
	var v int64
	k := &kernel{kind: kInt, t: t}
	switch {
	case t.Kind == dataflow.TypeBoolean:
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return nil
		}
		k.kind, v = kBool, boolInt(b)
	case isIntKind(t.Kind) || t.Kind == dataflow.TypeIntervalDay || t.Kind == dataflow.TypeIntervalMonth:
		if json.Unmarshal(raw, &v) != nil {
			return nil
		}
	case t.Kind == dataflow.TypeDecimal:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			return nil
		}
		r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.Scale)), nil)))
		if !r.IsInt() || !r.Num().IsInt64() {
			return nil
		}
		k.kind, k.scale, v = kDec, t.Scale, r.Num().Int64()
	default:
		return nil
	}
	k.eval = func(int) (int64, bool, error) { return v, true, nil }
	return k
}

func callKernel(op string, args []*kernel, t dataflow.LogicalType) *kernel {
	switch op {
	case "AND", "OR":
		if len(args) == 2 && args[0].kind == kBool && args[1].kind == kBool {
			return logicKernel(op == "AND", args[0], args[1], t)
		}
	case "NOT":
		if len(args) == 1 && args[0].kind == kBool {
			a := args[0]
			return &kernel{kind: kBool, t: t, eval: func(r int) (int64, bool, error) {
				v, ok, err := a.eval(r)
				return 1 - v, ok, err
			}}
		}
	case "IS_NULL", "IS_NOT_NULL":
		if len(args) == 1 {
			a, want := args[0], op == "IS_NOT_NULL"
			return &kernel{kind: kBool, t: t, eval: func(r int) (int64, bool, error) {
				_, ok, err := a.eval(r)
				return boolInt(ok == want), true, err
			}}
		}
	case "=", "<>", "<", "<=", ">", ">=":
		if len(args) == 2 && t.Kind == dataflow.TypeBoolean {
			return compareKernel(op, args[0], args[1], t)
		}
	case "+", "-", "*", "/", "MOD":
		if len(args) == 2 {
			return arithKernel(op, args[0], args[1], t)
		}
	case "CAST":
		if len(args) == 1 {
			return castKernel(args[0], t)
		}
	}
	return nil
}

// logicKernel is three-valued AND/OR: FALSE AND NULL is FALSE, TRUE OR NULL is TRUE.
func logicKernel(and bool, a, b *kernel, t dataflow.LogicalType) *kernel {
	stop := boolInt(!and) // the value that decides: FALSE for AND, TRUE for OR
	return &kernel{kind: kBool, t: t, eval: func(r int) (int64, bool, error) {
		x, okx, err := a.eval(r)
		if err != nil || okx && x == stop {
			return stop, true, err
		}
		y, oky, err := b.eval(r)
		switch {
		case err != nil:
			return 0, false, err
		case oky && y == stop:
			return stop, true, nil
		case !okx || !oky:
			return 0, false, nil
		}
		return 1 - stop, true, nil
	}}
}

func compareKernel(op string, a, b *kernel, t dataflow.LogicalType) *kernel {
	switch {
	case a.kind == kBool && b.kind == kBool, a.kind == kInt && b.kind == kInt:
	case a.kind == kDec || b.kind == kDec:
		if a.kind == kBool || b.kind == kBool {
			return nil
		}
		s := max(a.decScale(), b.decScale())
		a, b = rescaleKernel(a, s), rescaleKernel(b, s)
	default:
		return nil
	}
	test := map[string]func(x, y int64) bool{
		"=": func(x, y int64) bool { return x == y }, "<>": func(x, y int64) bool { return x != y },
		"<": func(x, y int64) bool { return x < y }, "<=": func(x, y int64) bool { return x <= y },
		">": func(x, y int64) bool { return x > y }, ">=": func(x, y int64) bool { return x >= y },
	}[op]
	return &kernel{kind: kBool, t: t, eval: func(r int) (int64, bool, error) {
		x, okx, err := a.eval(r)
		if err != nil || !okx {
			return 0, false, err
		}
		y, oky, err := b.eval(r)
		if err != nil || !oky {
			return 0, false, err
		}
		return boolInt(test(x, y)), true, nil
	}}
}
