package exec

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/flowplane/flowplane/dataflow/operator"
)

// Keyed state of sql.join: value state "rows" holds, per join key (in the key group both
// inputs route it to), the rows of each input kept for that key with their match counts
// (regular joins: every row not retracted; interval joins: the rows the watermark has not
// expired; temporal joins: the latest right row). Rows with a NULL key are never kept.

// Open registers the keyed state and loads the rows restored into it.
func (j *join) Open(ctx *operator.Context) error {
	j.mem = allocator(ctx)
	var err error
	if j.ks, err = openKeyedStore(ctx, "rows"); err != nil {
		return err
	}
	return j.ks.load(func(key string, v []byte) error {
		r := &stateReader{b: v}
		for side := range 2 {
			n := r.uvarint()
			if n > uint64(len(r.b)) {
				r.fail()
			}
			var list []*stored
			for i := uint64(0); i < n && r.err == nil; i++ {
				s := &stored{row: r.row()}
				s.matches = int(r.varint())
				list = append(list, s)
			}
			if len(list) > 0 {
				j.state[side][key] = list
			}
		}
		if err := r.end(); err != nil {
			return fmt.Errorf("restore join: %w", err)
		}
		return nil
	})
}

// joinKeys are the columns input is hashed on by the edge into the join.
func (j *join) joinKeys(input int) []int {
	if input == 1 {
		return j.cfg.RightKeys
	}
	return j.cfg.LeftKeys
}

// SnapshotState writes the keys whose rows or match counts changed since the last barrier
// back to keyed state.
func (j *join) SnapshotState(uint64, io.Writer) error {
	return j.ks.flush(func(key string) ([]byte, bool, error) {
		l, r := j.state[0][key], j.state[1][key]
		if len(l) == 0 && len(r) == 0 {
			return nil, false, nil
		}
		var b []byte
		var err error
		for _, list := range [2][]*stored{l, r} {
			b = binary.AppendUvarint(b, uint64(len(list)))
			for _, s := range list {
				if b, err = appendRowState(b, s.row); err != nil {
					return nil, false, err
				}
				b = binary.AppendVarint(b, int64(s.matches))
			}
		}
		return b, true, nil
	})
}
