package sql

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Rex is a bound, type-checked scalar expression over the columns of one input row. Rex trees
// are what the planner puts into operator configs (see their JSON encoding below).
type Rex interface {
	Type() Type
	String() string
}

// RexInput refers to column Index of the input row.
type RexInput struct {
	Index int
	T     Type
}

// RexLiteral is a constant. Value is nil (NULL), bool, int64 (integers; intervals in
// milliseconds or months), float64, or string (strings, DECIMAL digits, DATE/TIMESTAMP text).
type RexLiteral struct {
	Value any
	T     Type
}

// RexCall applies an operator or function. Op is an upper-case name: an operator (+ - * / % ||
// = <> < <= > >= AND OR NOT IS_NULL IS_NOT_NULL IS_TRUE IS_FALSE IN BETWEEN LIKE NEG CASE CAST
// TRY_CAST EXTRACT_<UNIT>) or a function name (UPPER, DATE_FORMAT, ...). CASE has arguments
// cond1, result1, ..., [else]; EXTRACT and CAST take one argument.
type RexCall struct {
	Op   string
	Args []Rex
	T    Type
}

func (r *RexInput) Type() Type   { return r.T }
func (r *RexLiteral) Type() Type { return r.T }
func (r *RexCall) Type() Type    { return r.T }

func (r *RexInput) String() string { return fmt.Sprintf("$%d", r.Index) }

func (r *RexLiteral) String() string {
	switch v := r.Value.(type) {
	case nil:
		return "NULL"
	case string:
		return fmt.Sprintf("%s:%s", quoteString(v), r.T.LogicalType)
	default:
		return fmt.Sprint(v)
	}
}

func (r *RexCall) String() string {
	parts := make([]string, len(r.Args))
	for i, a := range r.Args {
		parts[i] = a.String()
	}
	return r.Op + "(" + strings.Join(parts, ", ") + ")"
}

type rexJSON struct {
	Input   *int   `json:"input,omitempty"`
	Literal any    `json:"literal,omitempty"`
	Null    bool   `json:"null,omitempty"`
	Call    string `json:"call,omitempty"`
	Args    []Rex  `json:"args,omitempty"`
	Type    string `json:"type"`
	NotNull bool   `json:"not_null,omitempty"`
}

// MarshalJSON encodes {"input": i, "type": "BIGINT"}.
func (r *RexInput) MarshalJSON() ([]byte, error) {
	i := r.Index
	return json.Marshal(rexJSON{Input: &i, Type: typeName(r.T), NotNull: !r.T.Nullable})
}

// MarshalJSON encodes {"literal": v, "type": "..."} or {"null": true, "type": "..."}.
func (r *RexLiteral) MarshalJSON() ([]byte, error) {
	if r.Value == nil {
		return json.Marshal(rexJSON{Null: true, Type: typeName(r.T)})
	}
	return json.Marshal(rexJSON{Literal: r.Value, Type: typeName(r.T), NotNull: true})
}

// MarshalJSON encodes {"call": op, "args": [...], "type": "..."}.
func (r *RexCall) MarshalJSON() ([]byte, error) {
	return json.Marshal(rexJSON{Call: r.Op, Args: r.Args, Type: typeName(r.T), NotNull: !r.T.Nullable})
}

// inputRefs adds every input column index used by r to set.
func inputRefs(r Rex, set map[int]bool) {
	switch r := r.(type) {
	case *RexInput:
		set[r.Index] = true
	case *RexCall:
		for _, a := range r.Args {
			inputRefs(a, set)
		}
	}
}

// shiftRex returns r with every input index i replaced by remap(i).
func shiftRex(r Rex, remap func(int) int) Rex {
	return replaceInputs(r, func(in *RexInput) Rex { return &RexInput{Index: remap(in.Index), T: in.T} })
}

// replaceInputs returns a copy of r with every input reference replaced by with(reference).
func replaceInputs(r Rex, with func(*RexInput) Rex) Rex {
	switch r := r.(type) {
	case *RexInput:
		return with(r)
	case *RexCall:
		args := make([]Rex, len(r.Args))
		for i, a := range r.Args {
			args[i] = replaceInputs(a, with)
		}
		return &RexCall{Op: r.Op, Args: args, T: r.T}
	}
	return r
}

// conjuncts splits r at top-level ANDs.
func conjuncts(r Rex) []Rex {
	if c, ok := r.(*RexCall); ok && c.Op == "AND" {
		return append(conjuncts(c.Args[0]), conjuncts(c.Args[1])...)
	}
	return []Rex{r}
}

// andAll joins conditions with AND; nil for none.
func andAll(rs []Rex) Rex {
	var out Rex
	for _, r := range rs {
		if out == nil {
			out = r
			continue
		}
		out = &RexCall{Op: "AND", Args: []Rex{out, r}, T: tBoolean.nullable(out.Type().Nullable || r.Type().Nullable)}
	}
	return out
}

// typeName is a type's JSON spelling; an untyped NULL is written as INT (its value is null).
func typeName(t Type) string {
	if t.Null {
		return "INT"
	}
	return t.LogicalType.String()
}
