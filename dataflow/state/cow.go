package state

import "maps"

// cowMap is a copy-on-write map: ver is the backend epoch in which m was created or last
// cloned. A snapshot captures m and advances the epoch, so the next write finds ver stale and
// clones m first, leaving the captured map untouched for the snapshot's encoder.
type cowMap[V any] struct {
	m   map[string]V
	ver uint64
}

// writable returns m, cloned first if a snapshot may still be reading it.
func (c *cowMap[V]) writable(epoch uint64) map[string]V {
	switch {
	case c.m == nil:
		c.m = make(map[string]V)
	case c.ver != epoch:
		c.m = maps.Clone(c.m)
	}
	c.ver = epoch
	return c.m
}

// table is the backend's view of one registered (or restored but not yet registered) state.
type table interface {
	kind() Kind
	// freeze captures key group g (an index into the backend's range) for a snapshot; the
	// result stays valid however the state changes afterwards.
	freeze(g int) frozen
	// restore adds decoded entries to key group g (an index into the backend's range).
	restore(g int, entries []Entry) error
}

// frozen is one state's captured content in one key group.
type frozen interface {
	len() int
	encode(w *frameWriter)
}

// rawTable holds restored entries of a state no operator has registered (yet): they are kept
// as decoded, handed over at registration, and carried into later snapshots unchanged.
type rawTable struct {
	k      Kind
	groups [][]Entry
}

func (t *rawTable) kind() Kind { return t.k }

func (t *rawTable) freeze(g int) frozen { return rawFrozen(t.groups[g]) }

func (t *rawTable) restore(g int, entries []Entry) error {
	for _, e := range entries {
		t.groups[g] = append(t.groups[g], copyEntry(e))
	}
	return nil
}

type rawFrozen []Entry

func (f rawFrozen) len() int { return len(f) }

func (f rawFrozen) encode(w *frameWriter) {
	for _, e := range f {
		w.entry(string(e.Key), len(e.Fields))
		for _, fl := range e.Fields {
			w.field(fl)
		}
	}
}

// copyEntry detaches a decoded entry from the snapshot bytes it aliases.
func copyEntry(e Entry) Entry {
	c := Entry{Key: append([]byte{}, e.Key...), Fields: make([][]byte, len(e.Fields))}
	for i, f := range e.Fields {
		c.Fields[i] = append([]byte{}, f...)
	}
	return c
}
