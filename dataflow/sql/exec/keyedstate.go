package exec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
)

// errCorruptState is wrapped by errors decoding an operator's checkpointed state.
var errCorruptState = errors.New("corrupt SQL operator state")

// Values in state are encoded with a type tag: the value kinds readRow produces.
const (
	tagNull byte = iota
	tagFalse
	tagTrue
	tagInt
	tagFloat
	tagRat
	tagString
	tagBytes
)

func appendStateValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, tagNull), nil
	case bool:
		if x {
			return append(b, tagTrue), nil
		}
		return append(b, tagFalse), nil
	case int64:
		return binary.AppendVarint(append(b, tagInt), x), nil
	case float64:
		return binary.BigEndian.AppendUint64(append(b, tagFloat), math.Float64bits(x)), nil
	case *big.Rat:
		return appendBytes(append(b, tagRat), []byte(x.RatString())), nil
	case string:
		return appendBytes(append(b, tagString), []byte(x)), nil
	case []byte:
		return appendBytes(append(b, tagBytes), x), nil
	}
	return nil, fmt.Errorf("exec: cannot store a %T in state", v)
}

func appendBytes(b, v []byte) []byte { return append(binary.AppendUvarint(b, uint64(len(v))), v...) }

// stateReader decodes state written with the append functions; the first error sticks.
type stateReader struct {
	b   []byte
	err error
}

func (r *stateReader) fail() {
	if r.err == nil {
		r.err = fmt.Errorf("%w: truncated or malformed", errCorruptState)
	}
	r.b = nil
}

func (r *stateReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *stateReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *stateReader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *stateReader) value() any {
	if len(r.b) == 0 {
		r.fail()
		return nil
	}
	tag := r.b[0]
	r.b = r.b[1:]
	switch tag {
	case tagNull:
		return nil
	case tagFalse, tagTrue:
		return tag == tagTrue
	case tagInt:
		return r.varint()
	case tagFloat:
		if len(r.b) < 8 {
			r.fail()
			return nil
		}
		f := math.Float64frombits(binary.BigEndian.Uint64(r.b))
		r.b = r.b[8:]
		return f
	case tagRat:
		x, ok := new(big.Rat).SetString(string(r.bytes()))
		if !ok {
			r.fail()
			return nil
		}
		return x
	case tagString:
		return string(r.bytes())
	case tagBytes:
		return append([]byte(nil), r.bytes()...)
	}
	r.fail()
	return nil
}

// appendAccState appends an accumulator's running state (its configuration comes from the
// operator's config and is not stored).
func appendAccState(b []byte, a accumulator) ([]byte, error) {
	var err error
	switch x := a.(type) {
	case *countAcc:
		b = binary.AppendVarint(b, x.n)
	case *sumAcc:
		sum, n := x.total()
		b = appendBytes(b, []byte(sum.RatString()))
		b = binary.AppendVarint(b, n)
	case *extremeAcc:
		b = binary.AppendUvarint(b, uint64(len(x.values)))
		for _, c := range x.values {
			if b, err = appendStateValue(b, c.v); err != nil {
				return nil, err
			}
			b = binary.AppendVarint(b, c.n)
		}
	case *firstLastAcc:
		if b, err = appendStateValue(b, x.v); err != nil {
			return nil, err
		}
		b = append(b, boolByte(x.set))
	case *bestAcc:
		if b, err = appendStateValue(b, x.best); err != nil {
			return nil, err
		}
		b = append(binary.AppendVarint(b, x.ib), boolByte(x.iset))
	case *distinctAcc:
		b = binary.AppendUvarint(b, uint64(len(x.seen)+len(x.ints)))
		x.counts(func(k string, n int64) {
			b = appendBytes(b, []byte(k))
			b = binary.AppendVarint(b, n)
		})
		return appendAccState(b, x.inner)
	default:
		return nil, fmt.Errorf("exec: accumulator %T has no state encoding", a)
	}
	return b, nil
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// readAccState restores into a fresh accumulator what appendAccState wrote.
func readAccState(r *stateReader, a accumulator) {
	switch x := a.(type) {
	case *countAcc:
		x.n = r.varint()
	case *sumAcc:
		var sum big.Rat
		if _, ok := sum.SetString(string(r.bytes())); !ok {
			r.fail()
		}
		x.restore(&sum, r.varint())
	case *extremeAcc:
		n := r.uvarint()
		if x.values == nil {
			x.values = map[string]*counted{}
		}
		for i := uint64(0); i < n && r.err == nil; i++ {
			v := r.value()
			x.values[keyOf([]any{v})] = &counted{v: v, n: r.varint()}
		}
		x.stale = true // the cached extreme is not stored: rescan on the next result
	case *firstLastAcc:
		x.v = r.value()
		if len(r.b) == 0 {
			r.fail()
			return
		}
		x.set, r.b = r.b[0] == 1, r.b[1:]
	case *bestAcc:
		x.best, x.ib = r.value(), r.varint()
		if len(r.b) == 0 {
			r.fail()
			return
		}
		x.iset, r.b = r.b[0] == 1, r.b[1:]
	case *distinctAcc:
		n := r.uvarint()
		for i := uint64(0); i < n && r.err == nil; i++ {
			k := string(r.bytes())
			x.restoreCount(k, r.varint())
		}
		readAccState(r, x.inner)
	default:
		r.fail()
	}
}
