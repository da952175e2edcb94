package batch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ErrCorruptBatch is returned when encoded batch bytes cannot be decoded.
var ErrCorruptBatch = errors.New("corrupt encoded batch")

// Encoder encodes the batches of one stream (one exchange channel, one snapshot) in the Arrow IPC
// stream format. The first encoded batch carries the schema message; the following ones carry only
// their record batch message, so a stream costs the schema once.
type Encoder struct {
	sink sinkWriter
	w    *ipc.Writer
}

// NewEncoder returns an encoder for batches of the given schema.
func NewEncoder(schema *arrow.Schema, mem memory.Allocator) *Encoder {
	e := &Encoder{}
	e.w = ipc.NewWriter(&e.sink, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	return e
}

// AppendEncode appends the encoding of rec to dst and returns the extended slice. The bytes must
// be decoded in order by one Decoder.
func (e *Encoder) AppendEncode(dst []byte, rec arrow.RecordBatch) ([]byte, error) {
	e.sink.reset(dst, nil)
	err := e.w.Write(rec)
	out := e.sink.b
	e.sink.reset(nil, nil)
	if err != nil {
		return dst, fmt.Errorf("encode batch: %w", err)
	}
	return out, nil
}

// AppendEncodeGather encodes rec like AppendEncode without copying rec's large buffers: the
// encoding is the concatenation of the returned segments, which are either slices of the
// returned head (dst extended with the small parts) or slices of rec's own buffers. The caller
// must keep rec alive (retained) until the segments are written.
func (e *Encoder) AppendEncodeGather(dst []byte, rec arrow.RecordBatch) (head []byte, segs [][]byte, err error) {
	e.sink.reset(dst, rec)
	err = e.w.Write(rec)
	head, segs = e.sink.b, e.sink.segments(len(dst))
	e.sink.reset(nil, nil)
	if err != nil {
		return dst, nil, fmt.Errorf("encode batch: %w", err)
	}
	return head, segs, nil
}

// Close releases the encoder. It writes nothing: the end of a stream is signalled by its carrier.
func (e *Encoder) Close() {
	e.sink.reset(nil, nil)
	_ = e.w.Close()
}

// gatherMin is the smallest write that is referenced rather than copied when gathering.
const gatherMin = 4096

// sinkWriter collects what the IPC writer writes: copied into b, or (when gathering) large
// slices of the batch's own buffers referenced as separate segments.
type sinkWriter struct {
	b     []byte
	owned []span  // address ranges of the batch's buffers (gathering only)
	parts []piece // in order; copied pieces are ranges of b
}

type span struct{ lo, hi uintptr }

type piece struct {
	ref    []byte // a referenced slice, or nil for b[lo:hi]
	lo, hi int
}

func (s *sinkWriter) reset(dst []byte, rec arrow.RecordBatch) {
	s.b, s.owned, s.parts = dst, s.owned[:0], s.parts[:0]
	if rec != nil {
		for _, col := range rec.Columns() {
			s.own(col.Data())
		}
	}
}

func (s *sinkWriter) own(d arrow.ArrayData) {
	for _, b := range d.Buffers() {
		if b != nil && b.Len() >= gatherMin {
			lo := uintptr(unsafe.Pointer(unsafe.SliceData(b.Bytes())))
			s.owned = append(s.owned, span{lo, lo + uintptr(b.Len())})
		}
	}
	for _, c := range d.Children() {
		s.own(c)
	}
}

func (s *sinkWriter) Write(p []byte) (int, error) {
	if len(p) >= gatherMin && len(s.owned) > 0 {
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(p)))
		for _, o := range s.owned {
			if lo >= o.lo && lo+uintptr(len(p)) <= o.hi {
				s.parts = append(s.parts, piece{ref: p})
				return len(p), nil
			}
		}
	}
	start := len(s.b)
	s.b = append(s.b, p...)
	if n := len(s.parts); n > 0 && s.parts[n-1].ref == nil && s.parts[n-1].hi == start {
		s.parts[n-1].hi = len(s.b)
	} else {
		s.parts = append(s.parts, piece{lo: start, hi: len(s.b)})
	}
	return len(p), nil
}

// segments returns the gathered encoding, starting with b[:from] (what preceded it in dst).
func (s *sinkWriter) segments(from int) [][]byte {
	segs := make([][]byte, 0, len(s.parts)+1)
	if from > 0 {
		segs = append(segs, s.b[:from])
	}
	for _, p := range s.parts {
		switch {
		case p.ref != nil:
			segs = append(segs, p.ref)
		case len(segs) > 0 && p.lo == from && from > 0:
			segs[0] = s.b[:p.hi] // the first copied piece continues dst
		default:
			segs = append(segs, s.b[p.lo:p.hi])
		}
	}
	return segs
}

// Decoder decodes the batches written by one Encoder, one encoded batch at a time. Decoding is
// zero-copy: the returned batch's buffers point into the bytes given to Decode, which must
// therefore not be modified or reused while the batch is alive.
type Decoder struct {
	msgs   sliceMessages
	r      *ipc.Reader
	schema *arrow.Schema
}

// NewDecoder returns a decoder; schema, when not nil, is the schema the stream must carry.
func NewDecoder(schema *arrow.Schema) *Decoder {
	return &Decoder{schema: schema}
}

// Decode decodes one encoded batch. The caller owns (and must release) the returned batch.
// Malformed input yields an error wrapping ErrCorruptBatch, never a panic; after an error the
// decoder is unusable.
func (d *Decoder) Decode(data []byte) (arrow.RecordBatch, error) { return d.DecodeOwned(data, nil) }

// DecodeOwned is Decode for data whose storage is recycled: free (when not nil) is called once
// no batch references data any more, i.e. when the returned batch is released (or at once if
// decoding copied or failed).
func (d *Decoder) DecodeOwned(data []byte, free func()) (rec arrow.RecordBatch, err error) {
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, fmt.Errorf("%w: %v", ErrCorruptBatch, p)
		}
		d.msgs.free = nil
	}()
	if len(data) > 0 && uintptr(unsafe.Pointer(unsafe.SliceData(data)))%8 != 0 {
		data = append(make([]byte, 0, len(data)), data...) // Arrow buffers must be 8-byte aligned
		if free != nil {
			free()
			free = nil
		}
	}
	d.msgs.b, d.msgs.free = data, free
	if d.r == nil {
		opts := []ipc.Option{ipc.WithDelayReadSchema(true)}
		if d.schema != nil {
			opts = append(opts, ipc.WithSchema(d.schema))
		}
		r, err := ipc.NewReaderFromMessageReader(&d.msgs, opts...)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCorruptBatch, err)
		}
		d.r = r
	}
	if !d.r.Next() {
		if e := d.r.Err(); e != nil {
			return nil, fmt.Errorf("%w: %w", ErrCorruptBatch, e)
		}
		return nil, fmt.Errorf("%w: no record batch", ErrCorruptBatch)
	}
	if len(d.msgs.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorruptBatch, len(d.msgs.b))
	}
	rec = d.r.RecordBatch()
	rec.Retain()
	return rec, nil
}

// Close releases the decoder and the last batch it still references.
func (d *Decoder) Close() {
	if d.r != nil {
		d.r.Release()
		d.r = nil
	}
	d.msgs.release()
}

// sliceMessages reads IPC messages straight out of a byte slice, without copying their bodies.
type sliceMessages struct {
	b    []byte
	free func() // called when the bodies read from b are all released
	msg  *ipc.Message
}

// freeHook is an Allocator whose Free calls a function: it lets a message body made from
// recycled bytes hand them back when Arrow releases the last reference.
type freeHook struct{ free func() }

func (h freeHook) Allocate(n int) []byte             { return make([]byte, n) }
func (h freeHook) Reallocate(n int, b []byte) []byte { return append(b[:0:0], b[:min(n, len(b))]...) }
func (h freeHook) Free([]byte)                       { h.free() }

const ipcContinuation = 0xFFFFFFFF

func (s *sliceMessages) Message() (*ipc.Message, error) {
	if len(s.b) == 0 {
		return nil, io.EOF
	}
	if len(s.b) < 8 || binary.LittleEndian.Uint32(s.b) != ipcContinuation {
		return nil, errors.New("missing IPC continuation marker")
	}
	metaLen := int64(int32(binary.LittleEndian.Uint32(s.b[4:])))
	if metaLen < 4 || 8+metaLen > int64(len(s.b)) {
		return nil, fmt.Errorf("IPC metadata length %d out of range", metaLen)
	}
	meta := memory.NewBufferBytes(s.b[8 : 8+metaLen])
	probe := ipc.NewMessage(meta, memory.NewBufferBytes(nil))
	bodyLen := probe.BodyLen()
	probe.Release()
	if bodyLen < 0 || 8+metaLen+bodyLen > int64(len(s.b)) {
		return nil, fmt.Errorf("IPC body length %d out of range", bodyLen)
	}
	raw := s.b[8+metaLen : 8+metaLen+bodyLen]
	s.b = s.b[8+metaLen+bodyLen:]
	var body *memory.Buffer
	if s.free != nil && len(s.b) == 0 {
		// The last message of the slice owns the bytes: free them with its body.
		body = memory.NewBufferWithAllocator(raw, freeHook{free: s.free})
		s.free = nil
	} else {
		body = memory.NewBufferBytes(raw)
	}
	s.release()
	s.msg = ipc.NewMessage(meta, body)
	body.Release() // the message (and later the batch's buffers) hold their own references
	return s.msg, nil
}

func (s *sliceMessages) release() {
	if s.msg != nil {
		s.msg.Release()
		s.msg = nil
	}
}

// Retain and Release implement ipc.MessageReader; the slice needs no reference counting.
func (s *sliceMessages) Retain()  {}
func (s *sliceMessages) Release() {}
