package exec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow/batch"
	"github.com/flowplane/flowplane/dataflow/operator"
)

// rexNode is the part of an encoded expression that says which input columns it reads.
type rexNode struct {
	Input *int      `json:"input"`
	Args  []rexNode `json:"args"`
}

// addInputs marks the input columns the encoded expression raw reads.
func addInputs(raw json.RawMessage, used map[int]bool) error {
	var n rexNode
	if err := json.Unmarshal(raw, &n); err != nil {
		return err
	}
	var walk func(rexNode)
	walk = func(n rexNode) {
		if n.Input != nil {
			used[*n.Input] = true
		}
		for _, a := range n.Args {
			walk(a)
		}
	}
	walk(n)
	return nil
}

// readUsed fills row with row r of rec's used columns (nil elsewhere): expressions only box
// the values they read.
func readUsed(rec arrow.RecordBatch, r int, used []int, row []any) error {
	for _, j := range used {
		v, err := value(rec.Column(j), r)
		if err != nil {
			return err
		}
		row[j] = v
	}
	return nil
}

// selectRows returns col's rows sel (all rows when sel is nil), sharing col's buffers when
// every row is kept.
func selectRows(mem memory.Allocator, col arrow.Array, sel []int32) (arrow.Array, error) {
	if sel == nil {
		col.Retain()
		return col, nil
	}
	if contiguous(sel) {
		return array.NewSlice(col, int64(sel[0]), int64(sel[len(sel)-1])+1), nil
	}
	out, err := batch.TakeArray(mem, col, sel)
	if err != nil {
		return nil, fmt.Errorf("select rows: %w", err)
	}
	return out, nil
}

// contiguous reports whether sel is a non-empty run of consecutive rows.
func contiguous(sel []int32) bool {
	for i, r := range sel {
		if r != sel[0]+int32(i) {
			return false
		}
	}
	return len(sel) > 0
}

// ErrSource wraps a connector source's failures whose cause is an io.EOF (a connection cut,
// an empty csv record), which would otherwise read as the end of input.
var ErrSource = errors.New("source failed")

// sourceError passes operator.ErrEndOfInput itself through and flattens any other error
// wrapping io.EOF into ErrSource: only a source that has really ended may return EOF.
func sourceError(err error) error {
	if err == nil || err == operator.ErrEndOfInput || !errors.Is(err, io.EOF) {
		return err
	}
	return fmt.Errorf("%w: %s", ErrSource, err.Error())
}
