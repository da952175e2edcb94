package eval

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/flowplane/flowplane/dataflow"
)

const msPerDay = 86400000

// castFn converts to type t; TRY_CAST gives NULL where CAST fails.
func castFn(a *Expr, t dataflow.LogicalType, try bool) evalFn {
	from := a.Type
	return func(row []any) (any, error) {
		v, err := a.eval(row)
		if err != nil || v == nil {
			return nil, err
		}
		out, err := cast(v, from, t)
		if err != nil && try {
			return nil, nil
		}
		return out, err
	}
}

func cast(v any, from, to dataflow.LogicalType) (any, error) {
	switch {
	case to.Kind == dataflow.TypeString:
		return format(v, from), nil
	case from.Kind == dataflow.TypeString:
		return castFromString(strings.TrimSpace(v.(string)), to)
	case to.Kind == dataflow.TypeBoolean:
		f, ok := toFloat(v)
		if b, isBool := v.(bool); isBool {
			return b, nil
		}
		if ok {
			return f != 0, nil
		}
	case from.Kind == dataflow.TypeBoolean:
		return normalize(boolInt(v.(bool)), to)
	case to.Kind == dataflow.TypeDate:
		return dateOf(v.(int64), from), nil
	case to.Kind == dataflow.TypeTimestamp || to.Kind == dataflow.TypeTimestampLTZ:
		if from.Kind == dataflow.TypeDate {
			return v.(int64) * msPerDay, nil
		}
		if from.Kind == dataflow.TypeTimestamp || from.Kind == dataflow.TypeTimestampLTZ {
			return v, nil
		}
	case to.Kind == dataflow.TypeTime:
		if from.Kind == dataflow.TypeTimestamp || from.Kind == dataflow.TypeTimestampLTZ {
			return floorMod(v.(int64), msPerDay), nil
		}
		return v, nil
	default:
		if isIntegerKind(to.Kind) {
			if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
				return nil, fmt.Errorf("%w: cannot cast %v to %s", ErrEval, f, to)
			}
		}
		return normalize(v, to)
	}
	return nil, fmt.Errorf("%w: cannot cast %v from %s to %s", ErrEval, v, from, to)
}

func dateOf(v int64, from dataflow.LogicalType) int64 {
	if from.Kind == dataflow.TypeDate {
		return v
	}
	return floorDiv(v, msPerDay)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// ParseText parses text as a value of type t, as CAST(s AS t) does (connectors' text formats).
func ParseText(s string, t dataflow.LogicalType) (any, error) { return castFromString(s, t) }

// castFromString parses text as a value of type t.
func castFromString(s string, t dataflow.LogicalType) (any, error) {
	bad := func() (any, error) { return nil, fmt.Errorf("%w: cannot cast '%s' to %s", ErrEval, s, t) }
	switch {
	case t.Kind == dataflow.TypeString:
		return s, nil
	case t.Kind == dataflow.TypeBoolean:
		switch strings.ToUpper(s) {
		case "TRUE":
			return true, nil
		case "FALSE":
			return false, nil
		}
	case isIntegerKind(t.Kind):
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
	case t.Kind == dataflow.TypeFloat || t.Kind == dataflow.TypeDouble:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, nil
		}
	case t.Kind == dataflow.TypeDecimal:
		if r, ok := new(big.Rat).SetString(s); ok {
			return normalize(r, t)
		}
	case t.Kind == dataflow.TypeDate:
		if d, err := time.Parse("2006-01-02", s); err == nil {
			return floorDiv(d.UnixMilli(), msPerDay), nil
		}
	case t.Kind == dataflow.TypeTime:
		if d, err := time.Parse("15:04:05.999999999", s); err == nil {
			return int64(d.Hour()*3600000 + d.Minute()*60000 + d.Second()*1000 + d.Nanosecond()/1e6), nil
		}
	case t.Kind == dataflow.TypeTimestamp || t.Kind == dataflow.TypeTimestampLTZ:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
			if d, err := time.Parse(layout, s); err == nil {
				return d.UnixMilli(), nil
			}
		}
	}
	return bad()
}

// format renders a value as CAST(... AS STRING) does.
func format(v any, t dataflow.LogicalType) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "TRUE"
		}
		return "FALSE"
	case int64:
		switch t.Kind {
		case dataflow.TypeDate:
			return time.UnixMilli(x * msPerDay).UTC().Format("2006-01-02")
		case dataflow.TypeTime:
			return time.UnixMilli(x).UTC().Format("15:04:05")
		case dataflow.TypeTimestamp, dataflow.TypeTimestampLTZ:
			return time.UnixMilli(x).UTC().Format("2006-01-02 15:04:05.000")
		}
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'G', -1, 64)
	case *big.Rat:
		return x.FloatString(t.Scale)
	case string:
		return x
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

// extractFields are EXTRACT's units (also the YEAR(), MONTH(), ... functions).
var extractFields = map[string]func(tm time.Time) int64{
	"YEAR": func(tm time.Time) int64 { return int64(tm.Year()) }, "MONTH": func(tm time.Time) int64 { return int64(tm.Month()) },
	"DAY": func(tm time.Time) int64 { return int64(tm.Day()) }, "HOUR": func(tm time.Time) int64 { return int64(tm.Hour()) },
	"MINUTE": func(tm time.Time) int64 { return int64(tm.Minute()) }, "SECOND": func(tm time.Time) int64 { return int64(tm.Second()) },
	"MILLISECOND": func(tm time.Time) int64 { return int64(tm.Second()*1000 + tm.Nanosecond()/1e6) },
	"MICROSECOND": func(tm time.Time) int64 { return int64(tm.Second()*1e6 + tm.Nanosecond()/1e3) },
	"QUARTER":     func(tm time.Time) int64 { return int64(tm.Month()+2) / 3 },
	"WEEK":        func(tm time.Time) int64 { _, w := tm.ISOWeek(); return int64(w) },
	"DOW":         func(tm time.Time) int64 { return int64(tm.Weekday()) + 1 },
	"DOY":         func(tm time.Time) int64 { return int64(tm.YearDay()) },
	"EPOCH":       func(tm time.Time) int64 { return tm.Unix() },
}

// extractFn is EXTRACT(unit FROM x) on DATE, TIME and TIMESTAMP values.
func extractFn(unit string, a *Expr, t dataflow.LogicalType) (evalFn, error) {
	f, ok := extractFields[unit]
	if !ok {
		return nil, fmt.Errorf("%w: EXTRACT unit %s", ErrDecode, unit)
	}
	from := a.Type
	return strict([]*Expr{a}, t, func(v []any) (any, error) { return f(timeOf(v[0].(int64), from)), nil }), nil
}

// timeOf converts a DATE, TIME or TIMESTAMP value to a UTC time.
func timeOf(v int64, t dataflow.LogicalType) time.Time {
	if t.Kind == dataflow.TypeDate {
		v *= msPerDay
	}
	return time.UnixMilli(v).UTC()
}

// Format renders a value of type t as text, as CAST(v AS STRING) does ("NULL" for nil).
func Format(v any, t dataflow.LogicalType) string {
	if v == nil {
		return "NULL"
	}
	return format(v, t)
}
