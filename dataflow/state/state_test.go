package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// keyOf returns a test key and its key group.
func keyOf(b *Backend, i int) (int, []byte) {
	k := binary.AppendVarint(nil, int64(i))
	return b.KeyGroup(uint64(i) * 0x9e3779b97f4a7c15), k
}

func newFull(t *testing.T) *Backend {
	t.Helper()
	b, err := NewSubtaskBackend(DefaultMaxParallelism, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestValueMapListOperations(t *testing.T) {
	t.Parallel()
	b := newFull(t)
	v, err := NewValueState(b, "count", Int64Codec{})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := NewMapState(b, "rows", StringCodec{})
	l, _ := NewListState(b, "buf", Float64Codec{})
	g, k := keyOf(b, 42)
	v.Put(g, k, 7)
	if got, ok := v.Get(g, k); !ok || got != 7 {
		t.Fatalf("Get = %d,%v want 7,true", got, ok)
	}
	v.Delete(g, k)
	if _, ok := v.Get(g, k); ok || v.Len() != 0 {
		t.Fatalf("value still present after Delete")
	}
	m.Put(g, k, []byte("a"), "x")
	m.Put(g, k, []byte("b"), "y")
	m.Remove(g, k, []byte("a"))
	if got := m.Size(g, k); got != 1 {
		t.Fatalf("Size = %d, want 1", got)
	}
	m.Remove(g, k, []byte("b"))
	if m.Len() != 0 {
		t.Fatalf("empty map not removed: Len = %d", m.Len())
	}
	l.Add(g, k, 1.5)
	l.Add(g, k, 2.5)
	if got := l.Get(g, k); len(got) != 2 || got[1] != 2.5 {
		t.Fatalf("list = %v", got)
	}
	l.Update(g, k, nil)
	if l.Len() != 0 {
		t.Fatalf("list not removed by empty Update")
	}
}

func TestRegisterTwiceConflicts(t *testing.T) {
	t.Parallel()
	b := newFull(t)
	if _, err := NewValueState(b, "s", Int64Codec{}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewMapState(b, "s", Int64Codec{}); !errors.Is(err, ErrStateConflict) {
		t.Fatalf("error = %v, want ErrStateConflict", err)
	}
}

// fill puts n keys into three states.
func fill(t *testing.T, b *Backend, n int) (*ValueState[int64], *MapState[[]byte], *ListState[string]) {
	t.Helper()
	v, err1 := NewValueState(b, "v", Int64Codec{})
	m, err2 := NewMapState(b, "m", BytesCodec{})
	l, err3 := NewListState(b, "l", StringCodec{})
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		g, k := keyOf(b, i)
		if !b.Range().Contains(g) {
			continue
		}
		v.Put(g, k, int64(i))
		m.Put(g, k, []byte("u1"), []byte(fmt.Sprint(i)))
		m.Put(g, k, []byte("u2"), []byte("z"))
		l.Add(g, k, "a")
		l.Add(g, k, fmt.Sprint(i))
	}
	return v, m, l
}

// dump renders every key's state deterministically, for comparisons.
func dump(b *Backend, n int, v *ValueState[int64], m *MapState[[]byte], l *ListState[string]) string {
	var buf bytes.Buffer
	for i := range n {
		g, k := keyOf(b, i)
		if !b.Range().Contains(g) {
			continue
		}
		x, ok := v.Get(g, k)
		u1, _ := m.Get(g, k, []byte("u1"))
		fmt.Fprintf(&buf, "%d:%d,%v,%s,%d,%v\n", i, x, ok, u1, m.Size(g, k), l.Get(g, k))
	}
	return buf.String()
}

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	t.Parallel()
	const n = 2000
	src := newFull(t)
	v, m, l := fill(t, src, n)
	want := dump(src, n, v, m, l)
	blob := src.Snapshot().Encode()

	dst := newFull(t)
	// Restore before registering: entries wait for registration.
	if err := dst.Restore(blob); err != nil {
		t.Fatal(err)
	}
	v2, err1 := NewValueState(dst, "v", Int64Codec{})
	m2, err2 := NewMapState(dst, "m", BytesCodec{})
	l2, err3 := NewListState(dst, "l", StringCodec{})
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	if got := dump(dst, n, v2, m2, l2); got != want {
		t.Fatalf("restored state differs")
	}
}

func TestSnapshotIsIsolatedFromLaterWrites(t *testing.T) {
	t.Parallel()
	const n = 500
	b := newFull(t)
	v, m, l := fill(t, b, n)
	want := dump(b, n, v, m, l)
	snap := b.Snapshot()

	// Encode concurrently with heavy mutation (run with -race to check isolation).
	var wg sync.WaitGroup
	var blob []byte
	wg.Go(func() { blob = snap.Encode() })
	for i := range n {
		g, k := keyOf(b, i)
		v.Put(g, k, -1)
		m.Put(g, k, []byte("u1"), []byte("changed"))
		m.Remove(g, k, []byte("u2"))
		l.Add(g, k, "more")
		if i%3 == 0 {
			v.Delete(g, k)
			l.Update(g, k, []string{"new"})
		}
	}
	wg.Wait()
	if again := snap.Encode(); len(again) != len(blob) {
		t.Fatalf("snapshot encoding changed after writes: %d -> %d bytes", len(blob), len(again))
	}
	dst := newFull(t)
	v2, m2, l2 := fill(t, dst, 0)
	if err := dst.Restore(blob); err != nil {
		t.Fatal(err)
	}
	if got := dump(dst, n, v2, m2, l2); got != want {
		t.Fatalf("snapshot saw writes made after it was taken")
	}
}

func TestRescaleRestoresExactlyEachRange(t *testing.T) {
	t.Parallel()
	const n = 3000
	full := newFull(t)
	fv, fm, fl := fill(t, full, n)

	// Old job at parallelism 3.
	var blobs [][]byte
	for i := range 3 {
		b, err := NewSubtaskBackend(DefaultMaxParallelism, 3, i)
		if err != nil {
			t.Fatal(err)
		}
		fill(t, b, n)
		blobs = append(blobs, b.Snapshot().Encode())
	}
	for _, p := range []int{1, 2, 5} {
		var got string
		for i := range p {
			b, err := NewSubtaskBackend(DefaultMaxParallelism, p, i)
			if err != nil {
				t.Fatal(err)
			}
			v, m, l := fill(t, b, 0)
			if err := b.Restore(blobs...); err != nil {
				t.Fatalf("p=%d subtask %d: %v", p, i, err)
			}
			got += dump(b, n, v, m, l)
		}
		if want := dump(full, n, fv, fm, fl); sortedLines(got) != sortedLines(want) {
			t.Fatalf("rescaled to %d: state differs from the unscaled state", p)
		}
	}
}

func sortedLines(s string) string {
	lines := strings.Split(s, "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func TestRestoreRejectsDuplicateGroupAndOtherMaxParallelism(t *testing.T) {
	t.Parallel()
	b := newFull(t)
	fill(t, b, 50)
	blob := b.Snapshot().Encode()
	if err := newFull(t).Restore(blob, blob); !errors.Is(err, ErrCorruptSnapshot) {
		t.Fatalf("duplicate groups: error = %v, want ErrCorruptSnapshot", err)
	}
	other, _ := NewSubtaskBackend(64, 1, 0)
	if err := other.Restore(blob); !errors.Is(err, ErrKeyGroupRange) {
		t.Fatalf("other max parallelism: error = %v, want ErrKeyGroupRange", err)
	}
}

func TestRestoreKindConflict(t *testing.T) {
	t.Parallel()
	b := newFull(t)
	fill(t, b, 10)
	blob := b.Snapshot().Encode()
	dst := newFull(t)
	if _, err := NewListState(dst, "v", StringCodec{}); err != nil {
		t.Fatal(err)
	}
	if err := dst.Restore(blob); !errors.Is(err, ErrStateConflict) {
		t.Fatalf("error = %v, want ErrStateConflict", err)
	}
}

func TestUnregisteredStateSurvivesSnapshots(t *testing.T) {
	t.Parallel()
	src := newFull(t)
	v, m, l := fill(t, src, 100)
	want := dump(src, 100, v, m, l)
	mid := newFull(t)
	if err := mid.Restore(src.Snapshot().Encode()); err != nil {
		t.Fatal(err)
	}
	dst := newFull(t)
	if err := dst.Restore(mid.Snapshot().Encode()); err != nil {
		t.Fatal(err)
	}
	v2, m2, l2 := fill(t, dst, 0)
	if got := dump(dst, 100, v2, m2, l2); got != want {
		t.Fatalf("state lost passing through a backend that never registered it")
	}
}

func TestReleasedSnapshotCannotBeWritten(t *testing.T) {
	t.Parallel()
	b := newFull(t)
	fill(t, b, 10)
	snap := b.Snapshot()
	snap.Release()
	snap.Release() // idempotent
	if _, err := snap.WriteTo(&sliceWriter{}); !errors.Is(err, ErrSnapshotReleased) {
		t.Fatalf("WriteTo after Release = %v, want ErrSnapshotReleased", err)
	}
}

func TestSnapshotToRestoreFrom(t *testing.T) {
	t.Parallel()
	src := newFull(t)
	v, m, l := fill(t, src, 300)
	var buf bytes.Buffer
	if err := src.SnapshotTo(&buf); err != nil {
		t.Fatal(err)
	}
	dst := newFull(t)
	v2, m2, l2 := fill(t, dst, 0)
	if err := dst.RestoreFrom(&buf); err != nil {
		t.Fatal(err)
	}
	if dump(dst, 300, v2, m2, l2) != dump(src, 300, v, m, l) {
		t.Fatal("state differs after SnapshotTo/RestoreFrom")
	}
}
