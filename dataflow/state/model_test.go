package state

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// model is a plain copy of what the three states should hold.
type model struct {
	v map[string]int64
	m map[string]map[string]string
	l map[string][]string
}

func (m model) clone() model {
	c := model{v: maps.Clone(m.v), m: make(map[string]map[string]string), l: make(map[string][]string)}
	for k, um := range m.m {
		c.m[k] = maps.Clone(um)
	}
	for k, l := range m.l {
		c.l[k] = slices.Clone(l)
	}
	return c
}

func (m model) String() string {
	var lines []string
	for k, v := range m.v {
		lines = append(lines, fmt.Sprintf("v %q %d", k, v))
	}
	for k, um := range m.m {
		for uk, v := range um {
			lines = append(lines, fmt.Sprintf("m %q %q %q", k, uk, v))
		}
	}
	for k, l := range m.l {
		lines = append(lines, fmt.Sprintf("l %q %v", k, l))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

type states struct {
	b *Backend
	v *ValueState[int64]
	m *MapState[string]
	l *ListState[string]
}

func newStates(t *testing.T) states {
	t.Helper()
	b := newFull(t)
	v, _ := NewValueState(b, "v", Int64Codec{})
	m, _ := NewMapState(b, "m", StringCodec{})
	l, _ := NewListState(b, "l", StringCodec{})
	return states{b, v, m, l}
}

// read renders the states' content as a model over the given keys.
func (s states) read(keys []string) model {
	got := model{v: map[string]int64{}, m: map[string]map[string]string{}, l: map[string][]string{}}
	for g := range s.b.MaxParallelism() {
		for k, v := range s.v.All(g) {
			got.v[k] = v
		}
	}
	for _, k := range keys {
		g := groupOf(k)
		if n := s.m.Size(g, []byte(k)); n > 0 {
			got.m[k] = maps.Collect(s.m.Entries(g, []byte(k)))
		}
		if l := s.l.Get(g, []byte(k)); len(l) > 0 {
			got.l[k] = slices.Clone(l)
		}
	}
	return got
}

func groupOf(k string) int { return int(k[0]) % DefaultMaxParallelism }

type liveSnap struct {
	snap    *Snapshot
	want    model
	encoded *sync.WaitGroup // a concurrent encoding, which must end before Release
}

// TestSnapshotsMatchModelUnderRandomInterleavings mutates the states at random while taking,
// encoding (concurrently) and releasing snapshots in random order, and checks every snapshot
// restores to exactly the state at the moment it was taken, and the live state to the model.
func TestSnapshotsMatchModelUnderRandomInterleavings(t *testing.T) {
	t.Parallel()
	for seed := range uint64(6) {
		rng := rand.New(rand.NewPCG(seed, 7))
		s := newStates(t)
		mod := model{v: map[string]int64{}, m: map[string]map[string]string{}, l: map[string][]string{}}
		keys := make([]string, 40)
		for i := range keys {
			keys[i] = fmt.Sprintf("%c%d", 'a'+i%5, i) // few key groups, several keys each
		}
		var live []liveSnap
		for step := range 3000 {
			k := keys[rng.IntN(len(keys))]
			g, kb := groupOf(k), []byte(k)
			switch op := rng.IntN(13); op {
			case 0, 1:
				s.v.Put(g, kb, int64(step))
				mod.v[k] = int64(step)
			case 2:
				s.v.Delete(g, kb)
				delete(mod.v, k)
			case 3, 4:
				uk := fmt.Sprint(rng.IntN(4))
				s.m.Put(g, kb, []byte(uk), fmt.Sprint(step))
				if mod.m[k] == nil {
					mod.m[k] = map[string]string{}
				}
				mod.m[k][uk] = fmt.Sprint(step)
			case 5:
				uk := fmt.Sprint(rng.IntN(4))
				s.m.Remove(g, kb, []byte(uk))
				delete(mod.m[k], uk)
				if len(mod.m[k]) == 0 {
					delete(mod.m, k)
				}
			case 6:
				s.m.Clear(g, kb)
				delete(mod.m, k)
			case 7, 8:
				s.l.Add(g, kb, fmt.Sprint(step))
				mod.l[k] = append(mod.l[k], fmt.Sprint(step))
			case 9:
				s.l.Update(g, kb, []string{"u"})
				mod.l[k] = []string{"u"}
			case 10:
				snap := s.b.Snapshot()
				ls := liveSnap{snap: snap, want: mod.clone(), encoded: &sync.WaitGroup{}}
				live = append(live, ls)
				ls.encoded.Go(func() { _ = snap.Encode() }) // a concurrent reader, for -race
			case 11:
				if len(live) > 0 {
					i := rng.IntN(len(live))
					checkSnapshot(t, live[i], keys)
					live[i].encoded.Wait()
					live[i].snap.Release()
					live = slices.Delete(live, i, i+1)
				}
			case 12:
				s.b.Fold()
			}
		}
		for _, ls := range live {
			checkSnapshot(t, ls, keys)
			ls.encoded.Wait()
			ls.snap.Release()
		}
		if got := s.read(keys).String(); got != mod.String() {
			t.Fatalf("seed %d: live state differs from the model:\n%s\nwant:\n%s", seed, got, mod)
		}
		if s.v.Len() != len(mod.v) || s.m.Len() != len(mod.m) || s.l.Len() != len(mod.l) {
			t.Fatalf("seed %d: Len = %d %d %d, want %d %d %d", seed, s.v.Len(), s.m.Len(), s.l.Len(), len(mod.v), len(mod.m), len(mod.l))
		}
	}
}

func checkSnapshot(t *testing.T, ls liveSnap, keys []string) {
	t.Helper()
	r := newStates(t)
	if err := r.b.Restore(ls.snap.Encode()); err != nil {
		t.Fatal(err)
	}
	if got := r.read(keys).String(); got != ls.want.String() {
		t.Fatalf("snapshot restores to:\n%s\nwant:\n%s", got, ls.want)
	}
}
