package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// Snapshot is a consistent capture of a Backend's state. Its methods may run on any goroutine,
// concurrently with further processing on the backend.
type Snapshot struct {
	maxPar int
	rng    KeyGroupRange
	groups []frozenGroup
	live   *atomic.Int64
	once   sync.Once
}

// ErrSnapshotReleased is returned when a released snapshot is written.
var ErrSnapshotReleased = errors.New("state snapshot already released")

// Release tells the backend the snapshot will not be read any more, so it may fold the writes
// made since into its maps. It is idempotent; the snapshot must not be used afterwards.
func (s *Snapshot) Release() {
	s.once.Do(func() {
		s.groups = nil
		s.live.Add(-1)
	})
}

type frozenGroup struct {
	group  int
	states []frozenState
}

type frozenState struct {
	name string
	kind Kind
	f    frozen
}

// Range is the key groups the snapshot covers.
func (s *Snapshot) Range() KeyGroupRange { return s.rng }

// MaxParallelism is the number of key groups of the job.
func (s *Snapshot) MaxParallelism() int { return s.maxPar }

// AppendKeyGroup appends the frame of key group g (see EncodeKeyGroup) to dst, or nothing when
// the group holds no state or is outside the snapshot's range.
func (s *Snapshot) AppendKeyGroup(dst []byte, g int) []byte {
	if !s.rng.Contains(g) || s.groups == nil {
		return dst
	}
	fg := s.groups[g-s.rng.Start]
	if len(fg.states) == 0 {
		return dst
	}
	var w frameWriter
	w.begin(dst, g, len(fg.states))
	for _, st := range fg.states {
		w.state(st.name, st.kind, st.f.len())
		st.f.encode(&w)
	}
	return w.end()
}

// WriteTo writes the snapshot blob that Backend.Restore reads:
//
//	"FPSS" | version byte | uvarint maxParallelism | uvarint start | uvarint end |
//	  per non-empty key group: uvarint len, frame | uvarint 0 (end marker)
//
// It buffers one key group at a time.
func (s *Snapshot) WriteTo(w io.Writer) (int64, error) {
	if s.groups == nil && s.rng.Len() > 0 {
		return 0, ErrSnapshotReleased
	}
	hdr := append(snapshotMagic[:0:0], snapshotMagic[:]...)
	hdr = append(hdr, FormatVersion)
	hdr = binary.AppendUvarint(hdr, uint64(s.maxPar))
	hdr = binary.AppendUvarint(hdr, uint64(s.rng.Start))
	hdr = binary.AppendUvarint(hdr, uint64(s.rng.End))
	total, err := w.Write(hdr)
	n := int64(total)
	if err != nil {
		return n, err
	}
	var frame, buf []byte
	for g := s.rng.Start; g < s.rng.End; g++ {
		frame = s.AppendKeyGroup(frame[:0], g)
		if len(frame) == 0 {
			continue
		}
		buf = binary.AppendUvarint(buf[:0], uint64(len(frame)))
		buf = append(buf, frame...)
		k, err := w.Write(buf)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	k, err := w.Write([]byte{0})
	return n + int64(k), err
}

// Encode returns the snapshot blob of WriteTo as one slice.
func (s *Snapshot) Encode() []byte {
	var b sliceWriter
	_, _ = s.WriteTo(&b)
	return b.b
}

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// SnapshotInfo is the header of a snapshot blob.
type SnapshotInfo struct {
	MaxParallelism int
	Range          KeyGroupRange
}

func readHeader(blob []byte) (SnapshotInfo, []byte, error) {
	if len(blob) < 5 || [4]byte(blob[:4]) != snapshotMagic {
		return SnapshotInfo{}, nil, fmt.Errorf("%w: not a state snapshot", ErrCorruptSnapshot)
	}
	if blob[4] != FormatVersion {
		return SnapshotInfo{}, nil, fmt.Errorf("%w: snapshot version %d (this build reads %d)", ErrSnapshotVersion, blob[4], FormatVersion)
	}
	r := reader{b: blob[5:]}
	m, start, end := r.uvarint(), r.uvarint(), r.uvarint()
	if r.err != nil {
		return SnapshotInfo{}, nil, r.err
	}
	if m < 1 || m > MaxKeyGroups || start > end || end > m {
		return SnapshotInfo{}, nil, fmt.Errorf("%w: bad snapshot header", ErrCorruptSnapshot)
	}
	info := SnapshotInfo{MaxParallelism: int(m), Range: KeyGroupRange{Start: int(start), End: int(end)}}
	return info, r.b, nil
}

// forEachFrame calls fn with each key group frame of blob, without decoding the frames. It
// checks that groups ascend within the blob's range and that maxParallelism matches.
func forEachFrame(blob []byte, maxPar int, fn func(g int, frame []byte) error) error {
	info, rest, err := readHeader(blob)
	if err != nil {
		return err
	}
	if info.MaxParallelism != maxPar {
		return fmt.Errorf("%w: snapshot has %d key groups, backend %d (max parallelism cannot change)", ErrKeyGroupRange, info.MaxParallelism, maxPar)
	}
	r := reader{b: rest}
	last := info.Range.Start - 1
	for {
		frame := r.bytes()
		if r.err != nil {
			return r.err
		}
		if len(frame) == 0 {
			break
		}
		g, ok := frameGroup(frame)
		if !ok || g <= last || !info.Range.Contains(g) {
			return fmt.Errorf("%w: bad key group index", ErrCorruptSnapshot)
		}
		last = g
		if err := fn(g, frame); err != nil {
			return err
		}
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: trailing bytes after snapshot", ErrCorruptSnapshot)
	}
	return nil
}

// frameGroup peeks at the key group of a frame without checking the rest of it.
func frameGroup(frame []byte) (int, bool) {
	if len(frame) < 6 {
		return 0, false
	}
	g, n := binary.Uvarint(frame[5:])
	if n <= 0 || g >= MaxKeyGroups {
		return 0, false
	}
	return int(g), true
}

// SnapshotTo writes a snapshot of b to w synchronously and releases it: the adapter for an
// operator's SnapshotState hook while the runtime has no asynchronous snapshot phase.
func (b *Backend) SnapshotTo(w io.Writer) error {
	snap := b.Snapshot()
	defer snap.Release()
	_, err := snap.WriteTo(w)
	return err
}

// RestoreFrom reads one snapshot blob from r and restores the key groups of b's range from it:
// the adapter for an operator's RestoreState hook (call it once per overlapping old blob).
func (b *Backend) RestoreFrom(r io.Reader) error {
	blob, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return b.Restore(blob)
}
