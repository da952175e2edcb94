package batch

import (
	"errors"
	"fmt"
	"io"

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
	sink appendWriter
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
	e.sink.b = dst
	err := e.w.Write(rec)
	out := e.sink.b
	e.sink.b = nil
	if err != nil {
		return dst, fmt.Errorf("encode batch: %w", err)
	}
	return out, nil
}

// Close releases the encoder. It writes nothing: the end of a stream is signalled by its carrier.
func (e *Encoder) Close() {
	e.sink.b = nil
	_ = e.w.Close()
}

type appendWriter struct{ b []byte }

func (a *appendWriter) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

// Decoder decodes the batches written by one Encoder, one encoded batch at a time.
type Decoder struct {
	feed   feedReader
	r      *ipc.Reader
	mem    memory.Allocator
	schema *arrow.Schema
}

// NewDecoder returns a decoder whose batches are allocated from mem; schema, when not nil, is
// the schema the stream must carry.
func NewDecoder(schema *arrow.Schema, mem memory.Allocator) *Decoder {
	return &Decoder{mem: mem, schema: schema}
}

// Decode decodes one encoded batch. The caller owns (and must release) the returned batch.
// Malformed input yields an error wrapping ErrCorruptBatch, never a panic; after an error the
// decoder is unusable.
func (d *Decoder) Decode(data []byte) (rec arrow.RecordBatch, err error) {
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, fmt.Errorf("%w: %v", ErrCorruptBatch, p)
		}
	}()
	d.feed.b = data
	if d.r == nil {
		opts := []ipc.Option{ipc.WithAllocator(d.mem), ipc.WithDelayReadSchema(true)}
		if d.schema != nil {
			opts = append(opts, ipc.WithSchema(d.schema))
		}
		r, err := ipc.NewReader(&d.feed, opts...)
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
	if len(d.feed.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorruptBatch, len(d.feed.b))
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
}

type feedReader struct{ b []byte }

func (f *feedReader) Read(p []byte) (int, error) {
	if len(f.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.b)
	f.b = f.b[n:]
	return n, nil
}
