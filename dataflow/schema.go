package dataflow

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// TypeKind is the root of a SQL logical type, without its parameters.
type TypeKind string

// The logical type kinds a schema field can have. Parameterised kinds (DECIMAL, TIMESTAMP,
// TIMESTAMP_LTZ) carry their precision and scale in LogicalType.
const (
	TypeBoolean       TypeKind = "BOOLEAN"
	TypeTinyInt       TypeKind = "TINYINT"
	TypeSmallInt      TypeKind = "SMALLINT"
	TypeInt           TypeKind = "INT"
	TypeBigInt        TypeKind = "BIGINT"
	TypeFloat         TypeKind = "FLOAT"
	TypeDouble        TypeKind = "DOUBLE"
	TypeDecimal       TypeKind = "DECIMAL"
	TypeString        TypeKind = "STRING"
	TypeBytes         TypeKind = "BYTES"
	TypeDate          TypeKind = "DATE"
	TypeTime          TypeKind = "TIME"
	TypeTimestamp     TypeKind = "TIMESTAMP"
	TypeTimestampLTZ  TypeKind = "TIMESTAMP_LTZ"
	TypeIntervalDay   TypeKind = "INTERVAL DAY TO SECOND"
	TypeIntervalMonth TypeKind = "INTERVAL YEAR TO MONTH"
)

// MaxDecimalPrecision is the largest DECIMAL precision (it fits Arrow's decimal128).
const MaxDecimalPrecision = 38

// LogicalType is a SQL logical type such as BIGINT, DECIMAL(10,2) or TIMESTAMP(3). It serialises
// to and from JSON as its SQL spelling, e.g. "DECIMAL(10,2)".
type LogicalType struct {
	Kind TypeKind
	// Precision is the total digits of a DECIMAL or the fractional-second digits of a
	// TIMESTAMP/TIMESTAMP_LTZ (0..9, default 3 when parsed without one).
	Precision int
	// Scale is the fractional digits of a DECIMAL.
	Scale int
}

// Convenience constructors for the common types.
var (
	Boolean = LogicalType{Kind: TypeBoolean}
	Int     = LogicalType{Kind: TypeInt}
	BigInt  = LogicalType{Kind: TypeBigInt}
	Double  = LogicalType{Kind: TypeDouble}
	String  = LogicalType{Kind: TypeString}
	Date    = LogicalType{Kind: TypeDate}
)

// Decimal returns DECIMAL(p,s).
func Decimal(p, s int) LogicalType { return LogicalType{Kind: TypeDecimal, Precision: p, Scale: s} }

// Timestamp returns TIMESTAMP(p).
func Timestamp(p int) LogicalType { return LogicalType{Kind: TypeTimestamp, Precision: p} }

// TimestampLTZ returns TIMESTAMP_LTZ(p).
func TimestampLTZ(p int) LogicalType { return LogicalType{Kind: TypeTimestampLTZ, Precision: p} }

// String returns the SQL spelling of the type.
func (t LogicalType) String() string {
	switch t.Kind {
	case TypeDecimal:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision, t.Scale)
	case TypeTimestamp, TypeTimestampLTZ:
		return fmt.Sprintf("%s(%d)", t.Kind, t.Precision)
	default:
		return string(t.Kind)
	}
}

// Validate reports whether the type's kind is known and its parameters are in range.
func (t LogicalType) Validate() error {
	switch t.Kind {
	case TypeBoolean, TypeTinyInt, TypeSmallInt, TypeInt, TypeBigInt, TypeFloat, TypeDouble,
		TypeString, TypeBytes, TypeDate, TypeTime, TypeIntervalDay, TypeIntervalMonth:
		if t.Precision != 0 || t.Scale != 0 {
			return fmt.Errorf("%w: %s takes no precision or scale", ErrInvalidType, t.Kind)
		}
	case TypeDecimal:
		if t.Precision < 1 || t.Precision > MaxDecimalPrecision {
			return fmt.Errorf("%w: DECIMAL precision %d not in 1..%d", ErrInvalidType, t.Precision, MaxDecimalPrecision)
		}
		if t.Scale < 0 || t.Scale > t.Precision {
			return fmt.Errorf("%w: DECIMAL scale %d not in 0..%d", ErrInvalidType, t.Scale, t.Precision)
		}
	case TypeTimestamp, TypeTimestampLTZ:
		if t.Precision < 0 || t.Precision > 9 || t.Scale != 0 {
			return fmt.Errorf("%w: %s precision %d not in 0..9", ErrInvalidType, t.Kind, t.Precision)
		}
	default:
		return fmt.Errorf("%w: unknown type %q", ErrInvalidType, t.Kind)
	}
	return nil
}

// ParseLogicalType parses the SQL spelling of a type, e.g. "decimal(10, 2)", "TIMESTAMP(3)",
// "VARCHAR", "INTEGER". Aliases are normalised (INTEGER -> INT, VARCHAR -> STRING, ...).
func ParseLogicalType(s string) (LogicalType, error) {
	name, args, err := splitTypeArgs(strings.ToUpper(strings.TrimSpace(s)))
	if err != nil {
		return LogicalType{}, fmt.Errorf("%w: %q: %v", ErrInvalidType, s, err)
	}
	name = strings.Join(strings.Fields(name), " ")
	var t LogicalType
	switch name {
	case "BOOLEAN", "BOOL":
		t.Kind = TypeBoolean
	case "TINYINT":
		t.Kind = TypeTinyInt
	case "SMALLINT":
		t.Kind = TypeSmallInt
	case "INT", "INTEGER":
		t.Kind = TypeInt
	case "BIGINT":
		t.Kind = TypeBigInt
	case "FLOAT", "REAL":
		t.Kind = TypeFloat
	case "DOUBLE", "DOUBLE PRECISION":
		t.Kind = TypeDouble
	case "STRING", "VARCHAR", "CHAR", "TEXT":
		t.Kind, args = TypeString, nil // length is not enforced
	case "BYTES", "VARBINARY", "BINARY":
		t.Kind, args = TypeBytes, nil
	case "DATE":
		t.Kind = TypeDate
	case "TIME":
		t.Kind = TypeTime
	case "DECIMAL", "NUMERIC", "DEC":
		t.Kind, t.Precision = TypeDecimal, 10
		if len(args) > 0 {
			t.Precision = args[0]
		}
		if len(args) > 1 {
			t.Scale = args[1]
		}
		args = trimArgs(args, 2)
	case "TIMESTAMP", "TIMESTAMP_LTZ", "TIMESTAMP WITH LOCAL TIME ZONE":
		t.Kind, t.Precision = TypeTimestamp, 3
		if name != "TIMESTAMP" {
			t.Kind = TypeTimestampLTZ
		}
		if len(args) > 0 {
			t.Precision = args[0]
		}
		args = trimArgs(args, 1)
	case "INTERVAL DAY TO SECOND", "INTERVAL DAY", "INTERVAL SECOND":
		t.Kind = TypeIntervalDay
	case "INTERVAL YEAR TO MONTH", "INTERVAL YEAR", "INTERVAL MONTH":
		t.Kind = TypeIntervalMonth
	default:
		return LogicalType{}, fmt.Errorf("%w: unknown type %q", ErrInvalidType, s)
	}
	if len(args) > 0 {
		return LogicalType{}, fmt.Errorf("%w: %q: too many parameters", ErrInvalidType, s)
	}
	if err := t.Validate(); err != nil {
		return LogicalType{}, err
	}
	return t, nil
}

func trimArgs(args []int, n int) []int {
	if len(args) <= n {
		return nil
	}
	return args[n:]
}

func splitTypeArgs(s string) (string, []int, error) {
	open := strings.IndexByte(s, '(')
	if open < 0 {
		return s, nil, nil
	}
	if !strings.HasSuffix(s, ")") {
		return "", nil, fmt.Errorf("unbalanced parenthesis")
	}
	var args []int
	for _, part := range strings.Split(s[open+1:len(s)-1], ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return "", nil, fmt.Errorf("parameter %q is not an integer", part)
		}
		args = append(args, n)
	}
	return strings.TrimSpace(s[:open]), args, nil
}

// MarshalJSON encodes the type as its SQL spelling.
func (t LogicalType) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// UnmarshalJSON decodes a type from its SQL spelling.
func (t *LogicalType) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%w: type must be a string: %v", ErrInvalidType, err)
	}
	parsed, err := ParseLogicalType(s)
	if err != nil {
		return err
	}
	*t = parsed
	return nil
}

// Field is one named, typed column of a schema.
type Field struct {
	Name     string      `json:"name"`
	Type     LogicalType `json:"type"`
	Nullable bool        `json:"nullable"`
}

// Schema describes the rows flowing on an edge. EventTime, when set, names the TIMESTAMP or
// TIMESTAMP_LTZ column that carries each row's event time (milliseconds in batches).
type Schema struct {
	Fields    []Field `json:"fields"`
	EventTime string  `json:"event_time,omitempty"`
}

// NewSchema returns a schema of the given fields.
func NewSchema(fields ...Field) Schema { return Schema{Fields: fields} }

// WithEventTime returns a copy of s whose event-time column is name.
func (s Schema) WithEventTime(name string) Schema {
	s.Fields = append([]Field(nil), s.Fields...)
	s.EventTime = name
	return s
}

// Col is shorthand for a NOT NULL field.
func Col(name string, t LogicalType) Field { return Field{Name: name, Type: t} }

// NullCol is shorthand for a nullable field.
func NullCol(name string, t LogicalType) Field { return Field{Name: name, Type: t, Nullable: true} }

// Index returns the position of the named field, or -1.
func (s Schema) Index(name string) int {
	for i, f := range s.Fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// Validate checks field names are non-empty and unique, types valid, and the event-time column
// exists with a timestamp type.
func (s Schema) Validate() error {
	seen := make(map[string]bool, len(s.Fields))
	for i, f := range s.Fields {
		if f.Name == "" {
			return fmt.Errorf("%w: field %d has no name", ErrInvalidSchema, i)
		}
		if seen[f.Name] {
			return fmt.Errorf("%w: duplicate field %q", ErrInvalidSchema, f.Name)
		}
		seen[f.Name] = true
		if err := f.Type.Validate(); err != nil {
			return fmt.Errorf("%w: field %q: %w", ErrInvalidSchema, f.Name, err)
		}
	}
	if s.EventTime != "" {
		i := s.Index(s.EventTime)
		if i < 0 {
			return fmt.Errorf("%w: event-time column %q not in schema", ErrInvalidSchema, s.EventTime)
		}
		if k := s.Fields[i].Type.Kind; k != TypeTimestamp && k != TypeTimestampLTZ {
			return fmt.Errorf("%w: event-time column %q has type %s, want TIMESTAMP or TIMESTAMP_LTZ",
				ErrInvalidSchema, s.EventTime, s.Fields[i].Type)
		}
	}
	return nil
}
