package state

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Codec encodes the values of one state for snapshots. Decode must treat b as untrusted (return
// an error, never panic) and must not keep b: it aliases the snapshot bytes.
type Codec[T any] interface {
	Append(dst []byte, v T) []byte
	Decode(b []byte) (T, error)
}

// Int64Codec stores int64 values as zig-zag varints.
type Int64Codec struct{}

// Append appends v.
func (Int64Codec) Append(dst []byte, v int64) []byte { return binary.AppendVarint(dst, v) }

// Decode reads a value written by Append.
func (Int64Codec) Decode(b []byte) (int64, error) {
	v, n := binary.Varint(b)
	if n <= 0 || n != len(b) {
		return 0, fmt.Errorf("%w: bad int64 value", ErrCorruptSnapshot)
	}
	return v, nil
}

// Float64Codec stores float64 values as 8 little-endian bytes.
type Float64Codec struct{}

// Append appends v.
func (Float64Codec) Append(dst []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
}

// Decode reads a value written by Append.
func (Float64Codec) Decode(b []byte) (float64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: bad float64 value", ErrCorruptSnapshot)
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
}

// BytesCodec stores byte slices as they are (decoded values are copies).
type BytesCodec struct{}

// Append appends v.
func (BytesCodec) Append(dst []byte, v []byte) []byte { return append(dst, v...) }

// Decode copies b.
func (BytesCodec) Decode(b []byte) ([]byte, error) { return append([]byte{}, b...), nil }

// StringCodec stores strings as their bytes.
type StringCodec struct{}

// Append appends v.
func (StringCodec) Append(dst []byte, v string) []byte { return append(dst, v...) }

// Decode copies b into a string.
func (StringCodec) Decode(b []byte) (string, error) { return string(b), nil }
