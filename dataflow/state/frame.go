package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// FormatVersion is the version of the key-group frame and snapshot encodings this build writes;
// it reads this version only (a later build must keep reading older versions).
const FormatVersion = 1

// ErrCorruptSnapshot is wrapped by every error about undecodable snapshot bytes.
var ErrCorruptSnapshot = errors.New("corrupt state snapshot")

// ErrSnapshotVersion is returned for snapshot bytes of a format version this build cannot read.
var ErrSnapshotVersion = errors.New("unsupported state snapshot version")

var (
	frameMagic    = [4]byte{'F', 'P', 'K', 'G'}
	snapshotMagic = [4]byte{'F', 'P', 'S', 'S'}
	crcTable      = crc32.MakeTable(crc32.Castagnoli)
)

// Kind says which primitive a state is; it decides how entries' fields are read.
type Kind uint8

// The kinds of state.
const (
	// KindValue entries have exactly one field: the value.
	KindValue Kind = 1
	// KindMap entries have an even number of fields: user key, value, user key, value, ...
	KindMap Kind = 2
	// KindList entries have one field per list element.
	KindList Kind = 3
)

func (k Kind) String() string {
	switch k {
	case KindValue:
		return "value"
	case KindMap:
		return "map"
	case KindList:
		return "list"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Entry is one key's state as encoded: the key and its fields (see Kind). Decoded entries alias
// the decoded bytes.
type Entry struct {
	Key    []byte
	Fields [][]byte
}

// StateData is one state's entries within a key group.
type StateData struct {
	Name    string
	Kind    Kind
	Entries []Entry
}

// KeyGroupData is the decoded content of one key-group frame.
type KeyGroupData struct {
	KeyGroup int
	States   []StateData
}

// frameWriter builds one key-group frame:
//
//	"FPKG" | version byte | uvarint group | uvarint nStates |
//	  nStates × ( uvarint len, name | kind byte | uvarint nEntries |
//	    nEntries × ( uvarint len, key | uvarint nFields | nFields × (uvarint len, bytes) ) ) |
//	crc32c (little endian) of everything before it
type frameWriter struct {
	buf     []byte
	start   int
	scratch []byte
}

func (w *frameWriter) begin(dst []byte, group, nStates int) {
	w.buf, w.start = dst, len(dst)
	w.buf = append(w.buf, frameMagic[:]...)
	w.buf = append(w.buf, FormatVersion)
	w.buf = binary.AppendUvarint(w.buf, uint64(group))
	w.buf = binary.AppendUvarint(w.buf, uint64(nStates))
}

func (w *frameWriter) state(name string, kind Kind, nEntries int) {
	w.buf = appendBytes(w.buf, []byte(name))
	w.buf = append(w.buf, byte(kind))
	w.buf = binary.AppendUvarint(w.buf, uint64(nEntries))
}

func (w *frameWriter) entry(key string, nFields int) {
	w.buf = binary.AppendUvarint(w.buf, uint64(len(key)))
	w.buf = append(w.buf, key...)
	w.buf = binary.AppendUvarint(w.buf, uint64(nFields))
}

func (w *frameWriter) field(b []byte) { w.buf = appendBytes(w.buf, b) }

func (w *frameWriter) end() []byte {
	sum := crc32.Checksum(w.buf[w.start:], crcTable)
	return binary.LittleEndian.AppendUint32(w.buf, sum)
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// EncodeKeyGroup appends the frame of d to dst.
func EncodeKeyGroup(dst []byte, d *KeyGroupData) []byte {
	var w frameWriter
	w.begin(dst, d.KeyGroup, len(d.States))
	for _, s := range d.States {
		w.state(s.Name, s.Kind, len(s.Entries))
		for _, e := range s.Entries {
			w.entry(string(e.Key), len(e.Fields))
			for _, f := range e.Fields {
				w.field(f)
			}
		}
	}
	return w.end()
}

// DecodeKeyGroup decodes one key-group frame. The result aliases data. Malformed input yields
// an error wrapping ErrCorruptSnapshot (or ErrSnapshotVersion), never a panic; allocations are
// bounded by len(data).
func DecodeKeyGroup(data []byte) (*KeyGroupData, error) {
	if len(data) < len(frameMagic)+1+4 || [4]byte(data[:4]) != frameMagic {
		return nil, fmt.Errorf("%w: not a key group frame", ErrCorruptSnapshot)
	}
	if v := data[4]; v != FormatVersion {
		return nil, fmt.Errorf("%w: key group frame version %d (this build reads %d)", ErrSnapshotVersion, v, FormatVersion)
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return nil, fmt.Errorf("%w: key group frame checksum mismatch", ErrCorruptSnapshot)
	}
	r := reader{b: body[5:]}
	group := r.uvarint()
	d := &KeyGroupData{KeyGroup: int(group)}
	if group >= MaxKeyGroups {
		r.fail("key group out of range")
	}
	n := r.count()
	d.States = make([]StateData, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		d.States = append(d.States, r.state())
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail("trailing bytes")
	}
	if r.err != nil {
		return nil, r.err
	}
	return d, nil
}

// reader decodes varints and length-prefixed bytes; after the first error it returns zero values
// and keeps that error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrCorruptSnapshot, what)
	}
	r.b = nil
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads an element count; every element takes at least one byte, so a count larger than
// the remaining input is corrupt (this bounds allocations by the input size).
func (r *reader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail("count exceeds input")
		return 0
	}
	return int(n)
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail("length exceeds input")
		return nil
	}
	b := r.b[:n:n]
	r.b = r.b[n:]
	return b
}

func (r *reader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.fail("truncated")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) state() StateData {
	s := StateData{Name: string(r.bytes())}
	s.Kind = Kind(r.byte())
	n := r.count()
	s.Entries = make([]Entry, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		e := Entry{Key: r.bytes()}
		nf := r.count()
		e.Fields = make([][]byte, 0, nf)
		for j := 0; j < nf && r.err == nil; j++ {
			e.Fields = append(e.Fields, r.bytes())
		}
		if r.err == nil {
			r.checkFields(s.Kind, nf)
		}
		s.Entries = append(s.Entries, e)
	}
	return s
}

func (r *reader) checkFields(k Kind, n int) {
	switch {
	case k == KindValue && n != 1:
		r.fail("value entry without exactly one field")
	case k == KindMap && n%2 != 0:
		r.fail("map entry with an odd number of fields")
	case k != KindValue && k != KindMap && k != KindList:
		r.fail(fmt.Sprintf("unknown state kind %d", uint8(k)))
	}
}
