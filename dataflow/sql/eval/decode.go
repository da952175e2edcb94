package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"time"

	"github.com/flowplane/flowplane/dataflow"
)

// Errors of decoding and evaluation.
var (
	ErrDecode   = errors.New("invalid expression")
	ErrEval     = errors.New("expression evaluation failed")
	ErrDivision = fmt.Errorf("%w: division by zero", ErrEval)
)

// Env supplies the non-deterministic inputs of expressions. Zero fields use the wall clock and
// a random source.
type Env struct {
	Now  func() time.Time
	Rand *rand.Rand
}

// Expr is a decoded expression.
type Expr struct {
	Type    dataflow.LogicalType
	NotNull bool
	eval    func(row []any) (any, error)
}

// Eval evaluates the expression over one row.
func (e *Expr) Eval(row []any) (any, error) { return e.eval(row) }

type node struct {
	Input   *int            `json:"input"`
	Literal json.RawMessage `json:"literal"`
	Null    bool            `json:"null"`
	Call    string          `json:"call"`
	Args    []node          `json:"args"`
	Type    string          `json:"type"`
	NotNull bool            `json:"not_null"`
}

// Decode compiles the JSON of a sql.Rex.
func Decode(raw json.RawMessage, env Env) (*Expr, error) {
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Rand == nil {
		env.Rand = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var n node
	if err := dec.Decode(&n); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	c := &compiler{env: env}
	return c.compile(n)
}

type compiler struct {
	env Env
}

func (c *compiler) compile(n node) (*Expr, error) {
	t, err := dataflow.ParseLogicalType(n.Type)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	e := &Expr{Type: t, NotNull: n.NotNull}
	switch {
	case n.Input != nil:
		i := *n.Input
		if i < 0 {
			return nil, fmt.Errorf("%w: negative input %d", ErrDecode, i)
		}
		e.eval = func(row []any) (any, error) {
			if i >= len(row) {
				return nil, fmt.Errorf("%w: input %d of a %d-column row", ErrEval, i, len(row))
			}
			return row[i], nil
		}
	case n.Null:
		e.eval = func([]any) (any, error) { return nil, nil }
	case n.Literal != nil:
		v, err := literal(n.Literal, t)
		if err != nil {
			return nil, err
		}
		e.eval = func([]any) (any, error) { return v, nil }
	case n.Call != "":
		args := make([]*Expr, len(n.Args))
		for i, a := range n.Args {
			if args[i], err = c.compile(a); err != nil {
				return nil, err
			}
		}
		if e.eval, err = c.call(n.Call, args, t); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: node has no input, literal or call", ErrDecode)
	}
	return e, nil
}

// literal converts a JSON literal to the value convention of its type.
func literal(raw json.RawMessage, t dataflow.LogicalType) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: literal: %w", ErrDecode, err)
	}
	bad := func() (any, error) { return nil, fmt.Errorf("%w: literal %s for type %s", ErrDecode, raw, t) }
	switch t.Kind {
	case dataflow.TypeBoolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case dataflow.TypeTinyInt, dataflow.TypeSmallInt, dataflow.TypeInt, dataflow.TypeBigInt,
		dataflow.TypeIntervalDay, dataflow.TypeIntervalMonth:
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				return i, nil
			}
		}
	case dataflow.TypeFloat, dataflow.TypeDouble:
		if n, ok := v.(json.Number); ok {
			if f, err := n.Float64(); err == nil {
				return f, nil
			}
		}
	case dataflow.TypeDecimal:
		if s, ok := v.(string); ok {
			if r, ok := new(big.Rat).SetString(s); ok {
				return r, nil
			}
		}
	case dataflow.TypeString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case dataflow.TypeDate, dataflow.TypeTimestamp, dataflow.TypeTimestampLTZ, dataflow.TypeTime:
		if s, ok := v.(string); ok {
			return castFromString(s, t)
		}
	}
	return bad()
}
