package postgres

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"time"
)

// RowKind is the changelog kind of a row (Flink's RowKind).
type RowKind byte

// The row kinds. Insert and UpdateAfter add or replace a row; UpdateBefore and Delete retract
// one (upsert mode only).
const (
	Insert       RowKind = 'I'
	UpdateBefore RowKind = 'B'
	UpdateAfter  RowKind = 'A'
	Delete       RowKind = 'D'
)

func (k RowKind) String() string {
	switch k {
	case Insert:
		return "+I"
	case UpdateBefore:
		return "-U"
	case UpdateAfter:
		return "+U"
	case Delete:
		return "-D"
	}
	return fmt.Sprintf("kind(%d)", byte(k))
}

func (k RowKind) valid() bool {
	return k == Insert || k == UpdateBefore || k == UpdateAfter || k == Delete
}

// retracts reports whether a row of kind k removes a row.
func (k RowKind) retracts() bool { return k == UpdateBefore || k == Delete }

// Row is one changelog row for the sink: its kind and one value per configured column. Values
// are nil, bool, int64, float64, string, []byte or time.Time (Write normalises other Go integer
// and float types).
type Row struct {
	Kind   RowKind
	Values []any
}

// ErrCorruptState is wrapped by errors about undecodable sink state.
var ErrCorruptState = errors.New("corrupt sink state")

// ErrUnsupportedValue is returned by Write for a value of a type the sink cannot store.
var ErrUnsupportedValue = errors.New("unsupported sink value")

const (
	tagNull byte = iota
	tagFalse
	tagTrue
	tagInt
	tagFloat
	tagString
	tagBytes
	tagTime
)

// normalize maps v to one of the stored value types.
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, time.Time:
		return v, nil
	case []byte:
		return append([]byte{}, x...), nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case float32:
		return float64(x), nil
	}
	return nil, fmt.Errorf("%w: %T", ErrUnsupportedValue, v)
}

func appendValue(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, tagNull)
	case bool:
		if x {
			return append(dst, tagTrue)
		}
		return append(dst, tagFalse)
	case int64:
		return binary.AppendVarint(append(dst, tagInt), x)
	case float64:
		return binary.LittleEndian.AppendUint64(append(dst, tagFloat), math.Float64bits(x))
	case string:
		return append(binary.AppendUvarint(append(dst, tagString), uint64(len(x))), x...)
	case []byte:
		return append(binary.AppendUvarint(append(dst, tagBytes), uint64(len(x))), x...)
	case time.Time:
		return binary.AppendVarint(append(dst, tagTime), x.UnixNano())
	}
	panic(fmt.Sprintf("postgres sink: unnormalised value %T", v)) // Write normalises every value
}

var (
	stateMagic = [4]byte{'F', 'P', 'S', 'K'}
	crcTable   = crc32.MakeTable(crc32.Castagnoli)
)

// stateVersion is the version of the sink state encoding.
const stateVersion = 1

// encodePending encodes the pending commits:
//
//	"FPSK" | version | uvarint n | n × (uvarint len, sink id | uvarint subtask |
//	  uvarint checkpoint | uvarint rows |
//	  rows × (kind byte | uvarint nValues | values (tag byte + payload))) | crc32c
func encodePending(pending []pendingCommit) []byte {
	b := append(stateMagic[:0:0], stateMagic[:]...)
	b = append(b, stateVersion)
	b = binary.AppendUvarint(b, uint64(len(pending)))
	for _, p := range pending {
		b = binary.AppendUvarint(b, uint64(len(p.owner.sinkID)))
		b = append(b, p.owner.sinkID...)
		b = binary.AppendUvarint(b, uint64(p.owner.subtask))
		b = binary.AppendUvarint(b, p.checkpoint)
		b = binary.AppendUvarint(b, uint64(len(p.rows)))
		for _, r := range p.rows {
			b = append(b, byte(r.Kind))
			b = binary.AppendUvarint(b, uint64(len(r.Values)))
			for _, v := range r.Values {
				b = appendValue(b, v)
			}
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
}

// decodePending decodes what encodePending wrote; corrupt input yields ErrCorruptState, never
// a panic.
func decodePending(data []byte) ([]pendingCommit, error) {
	if len(data) < 9 || [4]byte(data[:4]) != stateMagic || data[4] != stateVersion {
		return nil, fmt.Errorf("%w: bad header", ErrCorruptState)
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorruptState)
	}
	d := decoder{b: body[5:]}
	n := d.count()
	pending := make([]pendingCommit, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		var p pendingCommit
		p.owner.sinkID = string(d.take(d.count()))
		sub := d.uvarint()
		if sub > math.MaxInt32 {
			d.fail("subtask out of range")
		}
		p.owner.subtask = int(sub)
		p.checkpoint = d.uvarint()
		nr := d.count()
		p.rows = make([]Row, 0, nr)
		for j := 0; j < nr && d.err == nil; j++ {
			p.rows = append(p.rows, d.row())
		}
		pending = append(pending, p)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return nil, d.err
	}
	return pending, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorruptState, what)
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("count exceeds input")
		return 0
	}
	return int(n)
}

func (d *decoder) take(n int) []byte {
	if n > len(d.b) {
		d.fail("truncated")
		return nil
	}
	b := d.b[:n]
	d.b = d.b[n:]
	return b
}

func (d *decoder) row() Row {
	k := d.take(1)
	if d.err != nil {
		return Row{}
	}
	r := Row{Kind: RowKind(k[0])}
	if !r.Kind.valid() {
		d.fail("bad row kind")
		return r
	}
	n := d.count()
	r.Values = make([]any, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		r.Values = append(r.Values, d.value())
	}
	return r
}

func (d *decoder) value() any {
	tag := d.take(1)
	if d.err != nil {
		return nil
	}
	switch tag[0] {
	case tagNull:
		return nil
	case tagFalse, tagTrue:
		return tag[0] == tagTrue
	case tagInt, tagTime:
		v, n := binary.Varint(d.b)
		if n <= 0 {
			d.fail("bad varint")
			return nil
		}
		d.b = d.b[n:]
		if tag[0] == tagTime {
			return time.Unix(0, v).UTC()
		}
		return v
	case tagFloat:
		b := d.take(8)
		if d.err != nil {
			return nil
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	case tagString, tagBytes:
		b := d.take(d.count())
		if tag[0] == tagString {
			return string(b)
		}
		return append([]byte{}, b...)
	}
	d.fail("bad value tag")
	return nil
}
