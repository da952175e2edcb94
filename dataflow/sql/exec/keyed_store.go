package exec

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowplane/flowplane/dataflow/batch"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/state"
)

// keyedStore is the bookkeeping an operator caching its per-key state in memory needs to keep
// it in keyed state (operator.Context.State): the key group of each input row (from the
// routing hash of the edge into the operator), the keys changed since the last barrier, and
// one value state of encoded entries the operator writes back at SnapshotState and loads in
// Open after a restore. A nil *keyedStore (no runtime backend) does nothing, so the per-row
// cost without checkpoints is a nil check.
type keyedStore struct {
	backend *state.Backend
	stored  *state.ValueState[[]byte]
	dirty   map[string]int   // keys changed since the last barrier -> key group
	groupOf map[string]int32 // key group of every key written back, for changes without a row
	hashes  []uint64
}

// openKeyedStore registers value state name on the context's backend; it returns nil when
// the operator runs without one.
func openKeyedStore(ctx *operator.Context, name string) (*keyedStore, error) {
	if ctx.State == nil {
		return nil, nil
	}
	s := &keyedStore{backend: ctx.State, dirty: map[string]int{}, groupOf: map[string]int32{}}
	var err error
	if s.stored, err = state.NewValueState(ctx.State, name, state.BytesCodec{}); err != nil {
		return nil, err
	}
	return s, nil
}

// keyGroups computes the key group of every row of rec from its key columns, as the hash edge
// into the operator routes it (no key columns: the operator runs in one subtask owning every
// group, and rows go to group 0). A row of another subtask's key group is a routing error.
func (s *keyedStore) keyGroups(rec arrow.RecordBatch, keys []int) error {
	if s == nil {
		return nil
	}
	n := int(rec.NumRows())
	if cap(s.hashes) < n {
		s.hashes = make([]uint64, n)
	}
	s.hashes = s.hashes[:n]
	if len(keys) == 0 {
		clear(s.hashes)
		return nil
	}
	if err := batch.HashRows(rec, keys, s.hashes); err != nil {
		return err
	}
	rng := s.backend.Range()
	for i, h := range s.hashes {
		kg := s.backend.KeyGroup(h)
		if !rng.Contains(kg) {
			return fmt.Errorf("%w: key of key group %d reached the subtask owning %s", operator.ErrConfig, kg, rng)
		}
		s.hashes[i] = uint64(kg)
	}
	return nil
}

// touchRow marks key k, of the row r of the batch keyGroups last saw, changed.
func (s *keyedStore) touchRow(k string, r int) {
	if s != nil {
		s.dirty[k] = int(s.hashes[r])
	}
}

// touchRowBytes is touchRow for a key in a reused buffer: it allocates only for a key not
// changed since the last barrier.
func (s *keyedStore) touchRowBytes(k []byte, r int) {
	if s == nil {
		return
	}
	if _, ok := s.dirty[string(k)]; !ok {
		s.dirty[string(k)] = int(s.hashes[r])
	}
}

// touch marks key k changed without an input row (a window fired, a row expired): its key
// group is the one it was last written back or touched in.
func (s *keyedStore) touch(k string) {
	if s == nil {
		return
	}
	if _, ok := s.dirty[k]; ok {
		return
	}
	if kg, ok := s.groupOf[k]; ok {
		s.dirty[k] = int(kg)
	}
}

// drop tells the store key k has no state any more: a key never written back needs no
// write-back, so the changed keys stay bounded by the live ones between barriers.
func (s *keyedStore) drop(k string) {
	if s == nil {
		return
	}
	if _, ok := s.groupOf[k]; !ok {
		delete(s.dirty, k)
	}
}

// flush writes every changed key back: encode returns its entry, or ok false when the key has
// no state any more (its entry is deleted).
func (s *keyedStore) flush(encode func(k string) (v []byte, ok bool, err error)) error {
	if s == nil {
		return nil
	}
	for k, kg := range s.dirty {
		v, ok, err := encode(k)
		if err != nil {
			return err
		}
		if !ok {
			s.stored.Delete(kg, []byte(k))
			delete(s.groupOf, k)
			continue
		}
		s.stored.Put(kg, []byte(k), v)
		s.groupOf[k] = int32(kg)
	}
	clear(s.dirty)
	return nil
}

// load calls fn for every entry restored into the store's key groups.
func (s *keyedStore) load(fn func(k string, v []byte) error) error {
	if s == nil {
		return nil
	}
	rng := s.backend.Range()
	for kg := rng.Start; kg < rng.End; kg++ {
		for k, v := range s.stored.All(kg) {
			if err := fn(k, v); err != nil {
				return err
			}
			s.groupOf[k] = int32(kg)
		}
	}
	return nil
}

// appendRowState appends a row of values.
func appendRowState(b []byte, row []any) ([]byte, error) {
	b = binary.AppendUvarint(b, uint64(len(row)))
	var err error
	for _, v := range row {
		if b, err = appendStateValue(b, v); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// row reads a row written by appendRowState.
func (r *stateReader) row() []any {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	row := make([]any, 0, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		row = append(row, r.value())
	}
	return row
}

// end fails the reader if input is left over.
func (r *stateReader) end() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail()
	}
	return r.err
}
