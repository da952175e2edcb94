package state

import (
	"fmt"
	"slices"
)

// ListState holds a list of values of type T per key, e.g. buffered rows of a window.
//
// Add appends past the end of the list any snapshot captured, so it never changes what a
// snapshot sees; Update always stores a fresh copy.
type ListState[T any] struct {
	b      *Backend
	codec  Codec[T]
	groups []lmap[[]T]
}

// NewListState registers a list state under name (unique per backend), taking over its
// restored entries if any.
func NewListState[T any](b *Backend, name string, codec Codec[T]) (*ListState[T], error) {
	s := &ListState[T]{b: b, codec: codec, groups: make([]lmap[[]T], b.rng.Len())}
	if err := b.register(name, KindList, s); err != nil {
		return nil, err
	}
	return s, nil
}

// Get returns key's list in key group g; the caller must not modify it.
func (s *ListState[T]) Get(g int, key []byte) []T {
	l, _ := s.groups[s.b.index(g)].get(string(key))
	return slices.Clip(l)
}

// Add appends v to key's list in key group g.
func (s *ListState[T]) Add(g int, key []byte, v T) {
	lm := &s.groups[s.b.index(g)]
	l, _ := lm.get(string(key))
	lm.put(s.b, string(key), append(l, v))
}

// Update replaces key's list in key group g by a copy of vs (an empty vs removes the key).
func (s *ListState[T]) Update(g int, key []byte, vs []T) {
	lm := &s.groups[s.b.index(g)]
	if len(vs) == 0 {
		lm.del(s.b, string(key))
		return
	}
	lm.put(s.b, string(key), slices.Clone(vs))
}

// Len is the number of keys with a non-empty list, over all key groups.
func (s *ListState[T]) Len() int {
	n := 0
	for i := range s.groups {
		n += s.groups[i].n
	}
	return n
}

func (s *ListState[T]) fold() { foldAll(s.b, s.groups) }

func (s *ListState[T]) kind() Kind { return KindList }

func (s *ListState[T]) freeze(g int) frozen {
	return listFrozen[T]{m: s.groups[g].freeze(s.b), codec: s.codec}
}

func (s *ListState[T]) restore(g int, entries []Entry) error {
	for _, e := range entries {
		l, _ := s.groups[g].get(string(e.Key))
		l = slices.Clip(l)
		for _, f := range e.Fields {
			v, err := s.codec.Decode(f)
			if err != nil {
				return fmt.Errorf("key %x: %w", e.Key, err)
			}
			l = append(l, v)
		}
		s.groups[g].put(s.b, string(e.Key), l)
	}
	return nil
}

type listFrozen[T any] struct {
	m     map[string][]T
	codec Codec[T]
}

func (f listFrozen[T]) len() int { return len(f.m) }

func (f listFrozen[T]) encode(w *frameWriter) {
	for k, l := range f.m {
		w.entry(k, len(l))
		for _, v := range l {
			w.scratch = f.codec.Append(w.scratch[:0], v)
			w.field(w.scratch)
		}
	}
}
