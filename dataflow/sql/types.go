package sql

import (
	"strings"

	"github.com/flowplane/flowplane/dataflow"
)

// TimeAttr marks a column as a time attribute usable by windows.
type TimeAttr int

// Time attribute kinds.
const (
	NoTimeAttr TimeAttr = iota
	RowTime             // event time, declared with WATERMARK FOR
	ProcTime            // processing time, PROCTIME()
)

// Type is the type of a bound expression or column: a logical type, nullability and whether
// it is a time attribute. Null marks the type of an untyped NULL literal.
type Type struct {
	dataflow.LogicalType
	Nullable bool
	Null     bool
	TimeAttr TimeAttr
}

func (t Type) String() string {
	if t.Null {
		return "NULL"
	}
	s := t.LogicalType.String()
	if !t.Nullable {
		s += " NOT NULL"
	}
	switch t.TimeAttr {
	case RowTime:
		s += " *ROWTIME*"
	case ProcTime:
		s += " *PROCTIME*"
	}
	return s
}

func typeOf(k dataflow.TypeKind) Type { return Type{LogicalType: dataflow.LogicalType{Kind: k}} }

var (
	tBoolean = typeOf(dataflow.TypeBoolean)
	tInt     = typeOf(dataflow.TypeInt)
	tBigInt  = typeOf(dataflow.TypeBigInt)
	tDouble  = typeOf(dataflow.TypeDouble)
	tString  = typeOf(dataflow.TypeString)
	tDate    = typeOf(dataflow.TypeDate)
	tNull    = Type{Null: true, Nullable: true}
)

func tTimestamp(p int) Type {
	return Type{LogicalType: dataflow.Timestamp(p)}
}

func tDecimal(p, s int) Type {
	p = min(p, dataflow.MaxDecimalPrecision)
	s = min(s, p)
	return Type{LogicalType: dataflow.Decimal(p, s)}
}

func (t Type) nullable(n bool) Type {
	t.Nullable = n || t.Null
	return t
}

// plain drops the time attribute (after any computation on it).
func (t Type) plain() Type {
	t.TimeAttr = NoTimeAttr
	return t
}

var integerRank = map[dataflow.TypeKind]int{
	dataflow.TypeTinyInt: 1, dataflow.TypeSmallInt: 2, dataflow.TypeInt: 3, dataflow.TypeBigInt: 4,
}

var integerDigits = map[dataflow.TypeKind]int{
	dataflow.TypeTinyInt: 3, dataflow.TypeSmallInt: 5, dataflow.TypeInt: 10, dataflow.TypeBigInt: 19,
}

func (t Type) isInteger() bool { return integerRank[t.Kind] > 0 }
func (t Type) isApprox() bool {
	return t.Kind == dataflow.TypeFloat || t.Kind == dataflow.TypeDouble
}
func (t Type) isNumeric() bool {
	return t.Null || t.isInteger() || t.isApprox() || t.Kind == dataflow.TypeDecimal
}
func (t Type) isString() bool { return t.Null || t.Kind == dataflow.TypeString }
func (t Type) isBool() bool   { return t.Null || t.Kind == dataflow.TypeBoolean }
func (t Type) isTimestamp() bool {
	return t.Kind == dataflow.TypeTimestamp || t.Kind == dataflow.TypeTimestampLTZ
}
func (t Type) isTemporal() bool {
	return t.isTimestamp() || t.Kind == dataflow.TypeDate || t.Kind == dataflow.TypeTime
}
func (t Type) isInterval() bool {
	return t.Kind == dataflow.TypeIntervalDay || t.Kind == dataflow.TypeIntervalMonth
}

// asDecimal returns the precision and scale an exact numeric type converts to.
func (t Type) asDecimal() (int, int) {
	if t.Kind == dataflow.TypeDecimal {
		return t.Precision, t.Scale
	}
	return integerDigits[t.Kind], 0
}

// numericResult is the type of a + b, a - b, a * b or a / b on numeric operands.
func numericResult(op string, a, b Type) Type {
	nullable := a.Nullable || b.Nullable
	switch {
	case a.Null && b.Null:
		return tNull
	case a.Null:
		return b.plain().nullable(true)
	case b.Null:
		return a.plain().nullable(true)
	case a.isApprox() || b.isApprox():
		return tDouble.nullable(nullable)
	case a.isInteger() && b.isInteger():
		if integerRank[a.Kind] >= integerRank[b.Kind] {
			return typeOf(a.Kind).nullable(nullable)
		}
		return typeOf(b.Kind).nullable(nullable)
	}
	p1, s1 := a.asDecimal()
	p2, s2 := b.asDecimal()
	var p, s int
	switch op {
	case "*":
		p, s = p1+p2, s1+s2
	case "/":
		s = max(6, s1+p2+1)
		p = p1 - s1 + s2 + s
	case "%":
		s = max(s1, s2)
		p = min(p1-s1, p2-s2) + s
	default:
		s = max(s1, s2)
		p = max(p1-s1, p2-s2) + s + 1
	}
	if p > dataflow.MaxDecimalPrecision {
		s = max(0, s-(p-dataflow.MaxDecimalPrecision))
		if op == "/" {
			s = max(s, 6)
		}
	}
	return tDecimal(p, s).nullable(nullable)
}

// commonType is the type both a and b convert to implicitly (CASE, COALESCE, UNION, IN,
// comparisons), or false.
func commonType(a, b Type) (Type, bool) {
	nullable := a.Nullable || b.Nullable
	switch {
	case a.Null:
		return b.plain().nullable(true), true
	case b.Null:
		return a.plain().nullable(true), true
	case a.isNumeric() && b.isNumeric():
		if a.Kind == b.Kind && a.Kind != dataflow.TypeDecimal {
			return typeOf(a.Kind).nullable(nullable), true
		}
		if a.isApprox() || b.isApprox() || a.isInteger() && b.isInteger() {
			return numericResult("+", a, b), true
		}
		p1, s1 := a.asDecimal()
		p2, s2 := b.asDecimal()
		s := max(s1, s2)
		return tDecimal(max(p1-s1, p2-s2)+s, s).nullable(nullable), true
	case a.isTimestamp() && b.isTimestamp():
		t := a.plain()
		t.Precision = max(a.Precision, b.Precision)
		if a.Kind != b.Kind {
			t.Kind = dataflow.TypeTimestampLTZ
		}
		return t.nullable(nullable), true
	case a.Kind == b.Kind:
		return a.plain().nullable(nullable), true
	}
	return Type{}, false
}

// assignable reports whether a value of type from can be written to a column of type to.
func assignable(from, to Type) bool {
	if from.Null {
		return true
	}
	switch {
	case to.isInteger():
		return from.isInteger() && integerRank[from.Kind] <= integerRank[to.Kind]
	case to.Kind == dataflow.TypeDecimal:
		if from.isInteger() || from.Kind == dataflow.TypeDecimal {
			p, s := from.asDecimal()
			return p-s <= to.Precision-to.Scale && s <= to.Scale
		}
		return false
	case to.isApprox():
		return from.isNumeric()
	case to.isTimestamp():
		return from.isTimestamp()
	}
	return from.Kind == to.Kind
}

// typeFromAST converts a parsed data type.
func typeFromAST(dt *DataType) (Type, *Error) {
	var t Type
	switch dt.Name {
	case "ROW", "ARRAY", "MAP", "MULTISET":
		return t, errorf(ErrUnsupported, dt.Sp, "type %s is not supported yet", dt.Name)
	case "CHAR", "VARCHAR", "STRING":
		t = tString
	case "BINARY", "VARBINARY", "BYTES":
		t = typeOf(dataflow.TypeBytes)
	case "INTERVAL":
		t = typeOf(dataflow.TypeIntervalDay)
		if dt.From == "YEAR" || dt.From == "MONTH" {
			t = typeOf(dataflow.TypeIntervalMonth)
		}
	case "TIMESTAMP", "TIMESTAMP_LTZ":
		t = Type{LogicalType: dataflow.LogicalType{Kind: dataflow.TypeKind(dt.Name), Precision: 6}}
		if len(dt.Params) > 0 {
			t.Precision = dt.Params[0]
		}
	case "DECIMAL":
		t = tDecimal(10, 0)
		if len(dt.Params) > 0 {
			t.Precision, t.Scale = dt.Params[0], 0
		}
		if len(dt.Params) > 1 {
			t.Scale = dt.Params[1]
		}
	case "FLOAT":
		t = typeOf(dataflow.TypeFloat)
	case "TIME":
		t = typeOf(dataflow.TypeTime)
	default:
		t = typeOf(dataflow.TypeKind(dt.Name))
	}
	if err := t.LogicalType.Validate(); err != nil {
		return t, errorf(ErrType, dt.Sp, "invalid type %s: %v", Print(dt), err)
	}
	t.Nullable = !dt.NotNull
	return t, nil
}

func describeTypes(ts []Type) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.LogicalType.String()
		if t.Null {
			parts[i] = "NULL"
		}
	}
	return strings.Join(parts, ", ")
}
