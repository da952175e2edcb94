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
	groups []cowMap[*userMap[T]]
}

// userMap is one key's map. Like cowMap it is copied on the first write after a snapshot, but
// by allocating a new userMap, since the snapshot's captured outer map points to the old one.
type userMap[T any] struct {
	m   map[string]T
	ver uint64
}

// NewMapState registers a map state under name (unique per backend), taking over its restored
// entries if any.
func NewMapState[T any](b *Backend, name string, codec Codec[T]) (*MapState[T], error) {
	s := &MapState[T]{b: b, codec: codec, groups: make([]cowMap[*userMap[T]], b.rng.Len())}
	if err := b.register(name, KindMap, s); err != nil {
		return nil, err
	}
	return s, nil
}

// Get returns the value under user key uk of key in key group g.
func (s *MapState[T]) Get(g int, key, uk []byte) (T, bool) {
	var zero T
	um := s.groups[s.b.index(g)].m[string(key)]
	if um == nil {
		return zero, false
	}
	v, ok := um.m[string(uk)]
	return v, ok
}

// Put sets the value under user key uk of key in key group g.
func (s *MapState[T]) Put(g int, key, uk []byte, v T) {
	s.userMap(g, key)[string(uk)] = v
}

// userMap returns key's writable map, creating or cloning it as needed.
func (s *MapState[T]) userMap(g int, key []byte) map[string]T {
	c := &s.groups[s.b.index(g)]
	um := c.m[string(key)]
	if um != nil && um.ver == s.b.epoch {
		return um.m
	}
	n := &userMap[T]{ver: s.b.epoch}
	if um != nil {
		n.m = maps.Clone(um.m)
	} else {
		n.m = make(map[string]T)
	}
	c.writable(s.b.epoch)[string(key)] = n
	return n.m
}

// Remove deletes user key uk of key in key group g; a key whose map becomes empty is removed.
func (s *MapState[T]) Remove(g int, key, uk []byte) {
	c := &s.groups[s.b.index(g)]
	um := c.m[string(key)]
	if um == nil {
		return
	}
	if _, ok := um.m[string(uk)]; !ok {
		return
	}
	if len(um.m) == 1 {
		delete(c.writable(s.b.epoch), string(key))
		return
	}
	delete(s.userMap(g, key), string(uk))
}

// Clear removes key's whole map in key group g.
func (s *MapState[T]) Clear(g int, key []byte) {
	c := &s.groups[s.b.index(g)]
	if _, ok := c.m[string(key)]; ok {
		delete(c.writable(s.b.epoch), string(key))
	}
}

// Size is the number of user keys of key in key group g.
func (s *MapState[T]) Size(g int, key []byte) int {
	um := s.groups[s.b.index(g)].m[string(key)]
	if um == nil {
		return 0
	}
	return len(um.m)
}

// Entries iterates over the user keys and values of key in key group g; the map must not be
// modified meanwhile.
func (s *MapState[T]) Entries(g int, key []byte) iter.Seq2[string, T] {
	um := s.groups[s.b.index(g)].m[string(key)]
	return func(yield func(string, T) bool) {
		if um == nil {
			return
		}
		for k, v := range um.m {
			if !yield(k, v) {
				return
			}
		}
	}
}

// Len is the number of keys with a non-empty map, over all key groups.
func (s *MapState[T]) Len() int {
	n := 0
	for i := range s.groups {
		n += len(s.groups[i].m)
	}
	return n
}

func (s *MapState[T]) kind() Kind { return KindMap }

func (s *MapState[T]) freeze(g int) frozen { return mapFrozen[T]{m: s.groups[g].m, codec: s.codec} }

func (s *MapState[T]) restore(g int, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	outer := s.groups[g].writable(s.b.epoch)
	for _, e := range entries {
		um := outer[string(e.Key)]
		if um == nil {
			um = &userMap[T]{m: make(map[string]T, len(e.Fields)/2), ver: s.b.epoch}
			outer[string(e.Key)] = um
		}
		for i := 0; i+1 < len(e.Fields); i += 2 {
			v, err := s.codec.Decode(e.Fields[i+1])
			if err != nil {
				return fmt.Errorf("key %x user key %x: %w", e.Key, e.Fields[i], err)
			}
			um.m[string(e.Fields[i])] = v
		}
	}
	return nil
}

type mapFrozen[T any] struct {
	m     map[string]*userMap[T]
	codec Codec[T]
}

func (f mapFrozen[T]) len() int { return len(f.m) }

func (f mapFrozen[T]) encode(w *frameWriter) {
	for k, um := range f.m {
		w.entry(k, 2*len(um.m))
		for uk, v := range um.m {
			w.field([]byte(uk))
			w.scratch = f.codec.Append(w.scratch[:0], v)
			w.field(w.scratch)
		}
	}
}
