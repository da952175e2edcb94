package state

// lmap is one key group's map of one state, made for snapshots that do not stop processing.
//
// Backend.Snapshot freezes it: the snapshot keeps base and reads it while it is encoded on
// another goroutine, and writes from then on go to an overlay (delta for new values, dels for
// keys removed from base). Once no snapshot is live any more (Snapshot.Release), the next write
// folds the overlay into base, so a snapshot costs O(1) per map at the barrier and O(keys
// written meanwhile) afterwards, never a copy of the whole state. Only when a snapshot is taken
// while the previous one is still live is base copied once (with the overlay applied).
type lmap[V any] struct {
	base   map[string]V
	delta  map[string]V
	dels   map[string]struct{}
	frozen bool
	n      int
}

func (m *lmap[V]) get(k string) (V, bool) {
	if m.frozen {
		if v, ok := m.delta[k]; ok {
			return v, true
		}
		if _, ok := m.dels[k]; ok {
			var zero V
			return zero, false
		}
	}
	v, ok := m.base[k]
	return v, ok
}

// owned returns k's value if this map may mutate it in place (no live snapshot can see it).
func (m *lmap[V]) owned(b *Backend, k string) (V, bool) {
	m.thaw(b)
	if m.frozen {
		v, ok := m.delta[k]
		return v, ok
	}
	v, ok := m.base[k]
	return v, ok
}

func (m *lmap[V]) put(b *Backend, k string, v V) {
	m.thaw(b)
	if _, ok := m.get(k); !ok {
		m.n++
	}
	if !m.frozen {
		if m.base == nil {
			m.base = make(map[string]V)
		}
		m.base[k] = v
		return
	}
	if m.delta == nil {
		m.delta = make(map[string]V)
	}
	m.delta[k] = v
	delete(m.dels, k)
}

func (m *lmap[V]) del(b *Backend, k string) {
	m.thaw(b)
	if _, ok := m.get(k); !ok {
		return
	}
	m.n--
	if !m.frozen {
		delete(m.base, k)
		return
	}
	delete(m.delta, k)
	if _, ok := m.base[k]; ok {
		if m.dels == nil {
			m.dels = make(map[string]struct{})
		}
		m.dels[k] = struct{}{}
	}
}

// thaw folds the overlay into base once no snapshot can be reading base any more.
func (m *lmap[V]) thaw(b *Backend) {
	if !m.frozen || b.live.Load() != 0 {
		return
	}
	if m.base == nil {
		m.base, m.delta, m.dels = m.delta, nil, nil // no snapshot ever saw delta: adopt it
	} else {
		m.apply(m.base)
	}
	m.frozen = false
}

// apply writes the overlay into dst and clears it.
func (m *lmap[V]) apply(dst map[string]V) {
	for k := range m.dels {
		delete(dst, k)
	}
	for k, v := range m.delta {
		dst[k] = v
	}
	m.delta, m.dels = nil, nil
}

// freeze returns the map's current content for a snapshot; until the snapshot is released the
// returned map is never written.
func (m *lmap[V]) freeze(b *Backend) map[string]V {
	m.thaw(b)
	if m.frozen && (len(m.delta) > 0 || len(m.dels) > 0) {
		// An older snapshot still reads base: the new one gets a copy with the overlay applied.
		nb := make(map[string]V, m.n)
		for k, v := range m.base {
			nb[k] = v
		}
		m.apply(nb)
		m.base = nb
	}
	m.frozen = true
	return m.base
}

// all iterates over the map's current content.
func (m *lmap[V]) all(yield func(string, V) bool) {
	if m.frozen {
		for k, v := range m.delta {
			if !yield(k, v) {
				return
			}
		}
	}
	for k, v := range m.base {
		if m.frozen {
			if _, ok := m.delta[k]; ok {
				continue
			}
			if _, ok := m.dels[k]; ok {
				continue
			}
		}
		if !yield(k, v) {
			return
		}
	}
}

// table is the backend's view of one registered (or restored but not yet registered) state.
type table interface {
	kind() Kind
	// freeze captures key group g (an index into the backend's range) for a snapshot; the
	// result stays valid however the state changes afterwards.
	freeze(g int) frozen
	// restore adds decoded entries to key group g (an index into the backend's range).
	restore(g int, entries []Entry) error
	// fold folds every map's overlay back if no snapshot is live.
	fold()
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

func (t *rawTable) fold() {}

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

func foldAll[V any](b *Backend, ms []lmap[V]) {
	for i := range ms {
		ms[i].thaw(b)
	}
}
