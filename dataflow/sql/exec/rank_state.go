package exec

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/flowplane/flowplane/dataflow/operator"
)

// Keyed state of sql.rank (Top-N and deduplication): value state "partitions" holds, per
// partition key (in the key group its rows are routed by), the partition's top rows in order.
// Rows beyond the limit are never kept, so this is all a restored rank needs.

// Open registers the keyed state and loads the partitions restored into it.
func (k *rank) Open(ctx *operator.Context) error {
	k.mem = allocator(ctx)
	var err error
	if k.ks, err = openKeyedStore(ctx, "partitions"); err != nil {
		return err
	}
	return k.ks.load(func(key string, v []byte) error {
		r := &stateReader{b: v}
		n := r.uvarint()
		if n > uint64(k.cfg.Limit) {
			return fmt.Errorf("restore rank: %w: %d rows in a top %d", errCorruptState, n, k.cfg.Limit)
		}
		rows := make([][]any, 0, n)
		for i := uint64(0); i < n && r.err == nil; i++ {
			rows = append(rows, r.row())
		}
		if err := r.end(); err != nil {
			return fmt.Errorf("restore rank: %w", err)
		}
		k.parts[key] = rows
		return nil
	})
}

// SnapshotState writes the partitions changed since the last barrier back to keyed state.
func (k *rank) SnapshotState(uint64, io.Writer) error {
	return k.ks.flush(func(key string) ([]byte, bool, error) {
		rows, ok := k.parts[key]
		if !ok || len(rows) == 0 {
			return nil, false, nil
		}
		b := binary.AppendUvarint(nil, uint64(len(rows)))
		var err error
		for _, row := range rows {
			if b, err = appendRowState(b, row); err != nil {
				return nil, false, err
			}
		}
		return b, true, nil
	})
}
