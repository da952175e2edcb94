package state

import (
	"fmt"
	"iter"
	"maps"
)

// MapState holds a map from user key (bytes) to a value of type T per key, e.g. the rows of a
// join side or the distinct values of COUNT DISTINCT.
type MapState[T any] struct {
	b      *Backend
	codec  Codec[T]
	groups []lmap[map[string]T]
}

// NewMapState registers a map state under name (unique per backend), taking over its restored
// entries if any.
func NewMapState[T any](b *Backend, name string, codec Codec[T]) (*MapState[T], error) {
	s := &MapState[T]{b: b, codec: codec, groups: make([]lmap[map[string]T], b.rng.Len())}
	if err := b.register(name, KindMap, s); err != nil {
		return nil, err
	}
	return s, nil
}

// Get returns the value under user key uk of key in key group g.
func (s *MapState[T]) Get(g int, key, uk []byte) (T, bool) {
	um, _ := s.groups[s.b.index(g)].get(string(key))
	v, ok := um[string(uk)]
	return v, ok
}

// Put sets the value under user key uk of key in key group g.
func (s *MapState[T]) Put(g int, key, uk []byte, v T) {
	s.userMap(g, key)[string(uk)] = v
}

// userMap returns key's map for writing: a map a live snapshot may read is copied first.
func (s *MapState[T]) userMap(g int, key []byte) map[string]T {
	lm := &s.groups[s.b.index(g)]
	if um, ok := lm.owned(s.b, string(key)); ok {
		return um
	}
	old, _ := lm.get(string(key))
	um := maps.Clone(old)
	if um == nil {
		um = make(map[string]T)
	}
	lm.put(s.b, string(key), um)
	return um
}

// Remove deletes user key uk of key in key group g; a key whose map becomes empty is removed.
func (s *MapState[T]) Remove(g int, key, uk []byte) {
	lm := &s.groups[s.b.index(g)]
	um, _ := lm.get(string(key))
	if _, ok := um[string(uk)]; !ok {
		return
	}
	if len(um) == 1 {
		lm.del(s.b, string(key))
		return
	}
	delete(s.userMap(g, key), string(uk))
}

// Clear removes key's whole map in key group g.
func (s *MapState[T]) Clear(g int, key []byte) {
	s.groups[s.b.index(g)].del(s.b, string(key))
}

// Size is the number of user keys of key in key group g.
func (s *MapState[T]) Size(g int, key []byte) int {
	um, _ := s.groups[s.b.index(g)].get(string(key))
	return len(um)
}

// Entries iterates over the user keys and values of key in key group g; the map must not be
// modified meanwhile.
func (s *MapState[T]) Entries(g int, key []byte) iter.Seq2[string, T] {
	um, _ := s.groups[s.b.index(g)].get(string(key))
	return maps.All(um)
}

// Len is the number of keys with a non-empty map, over all key groups.
func (s *MapState[T]) Len() int {
	n := 0
	for i := range s.groups {
		n += s.groups[i].n
	}
	return n
}

func (s *MapState[T]) fold() { foldAll(s.b, s.groups) }

func (s *MapState[T]) kind() Kind { return KindMap }

func (s *MapState[T]) freeze(g int) frozen {
	return mapFrozen[T]{m: s.groups[g].freeze(s.b), codec: s.codec}
}

func (s *MapState[T]) restore(g int, entries []Entry) error {
	for _, e := range entries {
		um := s.userMap(g+s.b.rng.Start, e.Key)
		for i := 0; i+1 < len(e.Fields); i += 2 {
			v, err := s.codec.Decode(e.Fields[i+1])
			if err != nil {
				return fmt.Errorf("key %x user key %x: %w", e.Key, e.Fields[i], err)
			}
			um[string(e.Fields[i])] = v
		}
	}
	return nil
}

type mapFrozen[T any] struct {
	m     map[string]map[string]T
	codec Codec[T]
}

func (f mapFrozen[T]) len() int { return len(f.m) }

func (f mapFrozen[T]) encode(w *frameWriter) {
	for k, um := range f.m {
		w.entry(k, 2*len(um))
		for uk, v := range um {
			w.field([]byte(uk))
			w.scratch = f.codec.Append(w.scratch[:0], v)
			w.field(w.scratch)
		}
	}
}
