package state

import (
	"fmt"
	"iter"
)

// ValueState holds one value of type T per key.
type ValueState[T any] struct {
	b      *Backend
	codec  Codec[T]
	groups []lmap[T]
}

// NewValueState registers a value state under name (unique per backend), taking over its
// restored entries if any.
func NewValueState[T any](b *Backend, name string, codec Codec[T]) (*ValueState[T], error) {
	s := &ValueState[T]{b: b, codec: codec, groups: make([]lmap[T], b.rng.Len())}
	if err := b.register(name, KindValue, s); err != nil {
		return nil, err
	}
	return s, nil
}

// Get returns the value of key in key group g, and whether there is one.
func (s *ValueState[T]) Get(g int, key []byte) (T, bool) {
	return s.groups[s.b.index(g)].get(string(key))
}

// Put sets the value of key in key group g.
func (s *ValueState[T]) Put(g int, key []byte, v T) {
	s.groups[s.b.index(g)].put(s.b, string(key), v)
}

// Delete removes the value of key in key group g.
func (s *ValueState[T]) Delete(g int, key []byte) {
	s.groups[s.b.index(g)].del(s.b, string(key))
}

// Len is the number of keys with a value, over all key groups.
func (s *ValueState[T]) Len() int {
	n := 0
	for i := range s.groups {
		n += s.groups[i].n
	}
	return n
}

// All iterates over the keys and values of key group g; it must not be modified meanwhile.
func (s *ValueState[T]) All(g int) iter.Seq2[string, T] {
	return s.groups[s.b.index(g)].all
}

func (s *ValueState[T]) fold() { foldAll(s.b, s.groups) }

func (s *ValueState[T]) kind() Kind { return KindValue }

func (s *ValueState[T]) freeze(g int) frozen {
	return valueFrozen[T]{m: s.groups[g].freeze(s.b), codec: s.codec}
}

func (s *ValueState[T]) restore(g int, entries []Entry) error {
	for _, e := range entries {
		v, err := s.codec.Decode(e.Fields[0])
		if err != nil {
			return fmt.Errorf("key %x: %w", e.Key, err)
		}
		s.groups[g].put(s.b, string(e.Key), v)
	}
	return nil
}

type valueFrozen[T any] struct {
	m     map[string]T
	codec Codec[T]
}

func (f valueFrozen[T]) len() int { return len(f.m) }

func (f valueFrozen[T]) encode(w *frameWriter) {
	for k, v := range f.m {
		w.entry(k, 1)
		w.scratch = f.codec.Append(w.scratch[:0], v)
		w.field(w.scratch)
	}
}
