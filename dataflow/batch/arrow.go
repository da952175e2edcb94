package batch

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowplane/flowplane/dataflow"
)

// ErrUnsupportedType is returned for a logical or Arrow type the runtime cannot carry.
var ErrUnsupportedType = errors.New("unsupported column type")

// ArrowType returns the Arrow type that carries values of the logical type t. TIMESTAMP(p) and
// TIMESTAMP_LTZ(p) use milliseconds for p <= 3 (the event-time unit), micro- or nanoseconds
// above; TIMESTAMP_LTZ carries the UTC zone.
func ArrowType(t dataflow.LogicalType) (arrow.DataType, error) {
	switch t.Kind {
	case dataflow.TypeBoolean:
		return arrow.FixedWidthTypes.Boolean, nil
	case dataflow.TypeTinyInt:
		return arrow.PrimitiveTypes.Int8, nil
	case dataflow.TypeSmallInt:
		return arrow.PrimitiveTypes.Int16, nil
	case dataflow.TypeInt:
		return arrow.PrimitiveTypes.Int32, nil
	case dataflow.TypeBigInt:
		return arrow.PrimitiveTypes.Int64, nil
	case dataflow.TypeFloat:
		return arrow.PrimitiveTypes.Float32, nil
	case dataflow.TypeDouble:
		return arrow.PrimitiveTypes.Float64, nil
	case dataflow.TypeDecimal:
		return &arrow.Decimal128Type{Precision: int32(t.Precision), Scale: int32(t.Scale)}, nil
	case dataflow.TypeString:
		return arrow.BinaryTypes.String, nil
	case dataflow.TypeBytes:
		return arrow.BinaryTypes.Binary, nil
	case dataflow.TypeDate:
		return arrow.FixedWidthTypes.Date32, nil
	case dataflow.TypeTime:
		return arrow.FixedWidthTypes.Time32ms, nil
	case dataflow.TypeTimestamp, dataflow.TypeTimestampLTZ:
		ts := &arrow.TimestampType{Unit: timeUnit(t.Precision)}
		if t.Kind == dataflow.TypeTimestampLTZ {
			ts.TimeZone = "UTC"
		}
		return ts, nil
	case dataflow.TypeIntervalDay:
		return arrow.FixedWidthTypes.Duration_ms, nil
	case dataflow.TypeIntervalMonth:
		return arrow.FixedWidthTypes.MonthInterval, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrUnsupportedType, t)
}

func timeUnit(precision int) arrow.TimeUnit {
	switch {
	case precision <= 3:
		return arrow.Millisecond
	case precision <= 6:
		return arrow.Microsecond
	default:
		return arrow.Nanosecond
	}
}

// ArrowSchema converts an edge schema to an Arrow schema. The event-time column, if any, is
// recorded in the schema metadata under EventTimeKey.
func ArrowSchema(s dataflow.Schema) (*arrow.Schema, error) {
	fields := make([]arrow.Field, len(s.Fields))
	for i, f := range s.Fields {
		dt, err := ArrowType(f.Type)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", f.Name, err)
		}
		fields[i] = arrow.Field{Name: f.Name, Type: dt, Nullable: f.Nullable}
	}
	if s.EventTime == "" {
		return arrow.NewSchema(fields, nil), nil
	}
	md := arrow.NewMetadata([]string{EventTimeKey}, []string{s.EventTime})
	return arrow.NewSchema(fields, &md), nil
}

// EventTimeKey is the Arrow schema metadata key naming the event-time column.
const EventTimeKey = "flowplane.event_time"

// EventTimeColumn returns the index of the schema's event-time column, or -1.
func EventTimeColumn(s *arrow.Schema) int {
	name, ok := s.Metadata().GetValue(EventTimeKey)
	if !ok {
		return -1
	}
	idx := s.FieldIndices(name)
	if len(idx) == 0 {
		return -1
	}
	return idx[0]
}

// Size returns the bytes held by the batch's buffers (an estimate of its memory and wire size).
func Size(rec arrow.RecordBatch) int64 {
	var n int64
	for _, col := range rec.Columns() {
		n += dataSize(col.Data())
	}
	return n
}

func dataSize(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, c := range d.Children() {
		n += dataSize(c)
	}
	return n
}
