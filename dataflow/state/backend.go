package state

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// ErrStateConflict is returned when a state is registered twice, or under a name restored with
// another kind.
var ErrStateConflict = errors.New("conflicting state registration")

// Backend holds the keyed state of one operator in one subtask: every registered state, split
// into the key groups of the subtask's range. It is used from the subtask's goroutine only;
// only the Snapshots it returns may be encoded elsewhere.
type Backend struct {
	maxPar int
	rng    KeyGroupRange
	live   atomic.Int64 // snapshots taken and not released
	names  []string
	tables map[string]table
}

// NewBackend returns an empty backend owning the key groups rng of maxParallelism groups.
func NewBackend(maxParallelism int, rng KeyGroupRange) (*Backend, error) {
	if err := CheckParallelism(maxParallelism, 1); err != nil {
		return nil, err
	}
	if rng.Start < 0 || rng.End > maxParallelism || rng.End < rng.Start {
		return nil, fmt.Errorf("%w: %s of %d key groups", ErrKeyGroupRange, rng, maxParallelism)
	}
	return &Backend{maxPar: maxParallelism, rng: rng, tables: make(map[string]table)}, nil
}

// NewSubtaskBackend returns an empty backend for subtask index of parallelism p.
func NewSubtaskBackend(maxParallelism, p, index int) (*Backend, error) {
	rng, err := RangeFor(maxParallelism, p, index)
	if err != nil {
		return nil, err
	}
	return NewBackend(maxParallelism, rng)
}

// MaxParallelism is the number of key groups of the job.
func (b *Backend) MaxParallelism() int { return b.maxPar }

// Range is the key groups this backend owns.
func (b *Backend) Range() KeyGroupRange { return b.rng }

// States returns the number of states registered or restored: a backend without any has
// nothing to snapshot.
func (b *Backend) States() int { return len(b.names) }

// KeyGroup returns the key group of a key with stable hash h (see batch.HashRows).
func (b *Backend) KeyGroup(h uint64) int { return KeyGroupOf(h, b.maxPar) }

// index maps key group g to its slot; a group outside the range is a routing bug.
func (b *Backend) index(g int) int {
	if !b.rng.Contains(g) {
		panic(fmt.Sprintf("state: key group %d outside this subtask's range %s (misrouted key)", g, b.rng))
	}
	return g - b.rng.Start
}

// register adds a typed table under name, taking over entries restored for it.
func (b *Backend) register(name string, kind Kind, t table) error {
	old, ok := b.tables[name]
	if ok {
		raw, isRaw := old.(*rawTable)
		if !isRaw {
			return fmt.Errorf("%w: state %q registered twice", ErrStateConflict, name)
		}
		if raw.k != kind {
			return fmt.Errorf("%w: state %q is restored as %s, registered as %s", ErrStateConflict, name, raw.k, kind)
		}
		for g, entries := range raw.groups {
			if err := t.restore(g, entries); err != nil {
				return fmt.Errorf("restore state %q: %w", name, err)
			}
		}
	} else {
		b.names = append(b.names, name)
	}
	b.tables[name] = t
	return nil
}

// Snapshot captures every state of every key group and returns at once: writes from now on go
// to an overlay, so processing may continue while the Snapshot is encoded on another goroutine.
// Call Snapshot.Release when done with it; until then the overlay is not folded back, and the
// next Snapshot copies the state once.
func (b *Backend) Snapshot() *Snapshot {
	s := &Snapshot{maxPar: b.maxPar, rng: b.rng, groups: make([]frozenGroup, b.rng.Len()), live: &b.live}
	for i := range s.groups {
		fg := frozenGroup{group: b.rng.Start + i}
		for _, name := range b.names {
			t := b.tables[name]
			f := t.freeze(i)
			if f.len() > 0 {
				fg.states = append(fg.states, frozenState{name: name, kind: t.kind(), f: f})
			}
		}
		s.groups[i] = fg
	}
	b.live.Add(1)
	return s
}

// Fold folds the writes made while snapshots were live back into the state's maps, if no
// snapshot is live any more. Writes do it map by map anyway; calling Fold when a snapshot has
// been persisted (on the subtask's goroutine, e.g. when handling its ack) keeps that work out of
// the next barrier, where maps not written since would otherwise fold their overlay.
func (b *Backend) Fold() {
	if b.live.Load() != 0 {
		return
	}
	for _, name := range b.names {
		b.tables[name].fold()
	}
}

// Restore loads the key groups of this backend's range from snapshot blobs (as written by
// Snapshot.WriteTo), typically the blobs of every old subtask whose range overlaps this one's
// after a change of parallelism; key groups outside the range are skipped. Call it on a fresh
// backend, before or after registering states: entries of states not registered yet are kept
// until they are. A key group found in two blobs is an error.
func (b *Backend) Restore(blobs ...[]byte) error {
	seen := make(map[int]bool)
	for i, blob := range blobs {
		err := forEachFrame(blob, b.maxPar, func(g int, frame []byte) error {
			if !b.rng.Contains(g) {
				return nil
			}
			if seen[g] {
				return fmt.Errorf("%w: key group %d in two snapshots", ErrCorruptSnapshot, g)
			}
			seen[g] = true
			d, err := DecodeKeyGroup(frame)
			if err != nil {
				return err
			}
			if d.KeyGroup != g {
				return fmt.Errorf("%w: frame of key group %d indexed as %d", ErrCorruptSnapshot, d.KeyGroup, g)
			}
			return b.restoreGroup(d)
		})
		if err != nil {
			return fmt.Errorf("restore snapshot %d: %w", i, err)
		}
	}
	return nil
}

func (b *Backend) restoreGroup(d *KeyGroupData) error {
	i := b.index(d.KeyGroup)
	for _, s := range d.States {
		t, ok := b.tables[s.Name]
		if !ok {
			t = &rawTable{k: s.Kind, groups: make([][]Entry, b.rng.Len())}
			b.tables[s.Name] = t
			b.names = append(b.names, s.Name)
		}
		if t.kind() != s.Kind {
			return fmt.Errorf("%w: state %q is %s in the snapshot, %s here", ErrStateConflict, s.Name, s.Kind, t.kind())
		}
		if err := t.restore(i, s.Entries); err != nil {
			return fmt.Errorf("state %q key group %d: %w", s.Name, d.KeyGroup, err)
		}
	}
	return nil
}
