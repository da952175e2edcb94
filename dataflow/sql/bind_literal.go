package sql

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/flowplane/flowplane/dataflow"
)

var unitMillis = map[string]int64{"DAY": 86400000, "HOUR": 3600000, "MINUTE": 60000, "SECOND": 1000}

// interval binds an interval literal: day-time intervals become milliseconds, year-month
// intervals months.
func (b *binder) interval(e *IntervalLit) Rex {
	v := strings.TrimSpace(e.Value)
	neg := strings.HasPrefix(v, "-")
	v = strings.TrimPrefix(v, "-")
	bad := func() {
		b.fail(ErrType, e.Sp, "invalid interval value '%s' for %s", e.Value, intervalQualifier(e))
	}
	if e.Unit == "YEAR" || e.Unit == "MONTH" {
		var months int64
		parts := strings.Split(v, "-")
		switch {
		case e.To == "" && len(parts) == 1:
			n, err := strconv.ParseInt(parts[0], 10, 32)
			if err != nil {
				bad()
			}
			months = n
			if e.Unit == "YEAR" {
				months *= 12
			}
		case e.Unit == "YEAR" && e.To == "MONTH" && len(parts) == 2:
			y, err1 := strconv.ParseInt(parts[0], 10, 32)
			m, err2 := strconv.ParseInt(parts[1], 10, 32)
			if err1 != nil || err2 != nil || m >= 12 {
				bad()
			}
			months = y*12 + m
		default:
			bad()
		}
		if neg {
			months = -months
		}
		return &RexLiteral{Value: months, T: typeOf(dataflow.TypeIntervalMonth)}
	}
	ms, ok := dayTimeMillis(v, e.Unit, e.To)
	if !ok {
		bad()
	}
	if neg {
		ms = -ms
	}
	return &RexLiteral{Value: ms, T: typeOf(dataflow.TypeIntervalDay)}
}

func intervalQualifier(e *IntervalLit) string {
	if e.To != "" {
		return e.Unit + " TO " + e.To
	}
	return e.Unit
}

var dayTimeUnits = []string{"DAY", "HOUR", "MINUTE", "SECOND"}

// dayTimeMillis parses a day-time interval string such as '5', '1.5', '1 02:03:04' or '1:30'
// for the units from..to.
func dayTimeMillis(v, from, to string) (int64, bool) {
	if to == "" {
		to = from
	}
	start, end := -1, -1
	for i, u := range dayTimeUnits {
		if u == from {
			start = i
		}
		if u == to {
			end = i
		}
	}
	if start < 0 || end < start {
		return 0, false
	}
	fields := strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ':' })
	if len(fields) != end-start+1 {
		return 0, false
	}
	limits := map[string]float64{"HOUR": 24, "MINUTE": 60, "SECOND": 60}
	var total int64
	for i, f := range fields {
		unit := dayTimeUnits[start+i]
		limit := math.Inf(1)
		if i > 0 {
			limit = limits[unit]
		}
		if unit == "SECOND" {
			secs, err := strconv.ParseFloat(f, 64)
			if err != nil || secs < 0 || secs >= limit {
				return 0, false
			}
			total += int64(secs*1000 + 0.5)
			continue
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n < 0 || n > 1<<40 || float64(n) >= limit {
			return 0, false
		}
		total += n * unitMillis[unit]
	}
	return total, true
}

func (b *binder) typedLit(e *TypedLit) Rex {
	switch e.Type {
	case "DATE":
		if _, err := time.Parse("2006-01-02", e.Value); err != nil {
			b.fail(ErrType, e.Sp, "invalid DATE literal '%s', want 'YYYY-MM-DD'", e.Value)
		}
		return &RexLiteral{Value: e.Value, T: tDate}
	case "TIME":
		if _, err := time.Parse("15:04:05.999999999", e.Value); err != nil {
			b.fail(ErrType, e.Sp, "invalid TIME literal '%s', want 'HH:MM:SS'", e.Value)
		}
		return &RexLiteral{Value: e.Value, T: typeOf(dataflow.TypeTime)}
	}
	if _, err := time.Parse("2006-01-02 15:04:05.999999999", e.Value); err != nil {
		b.fail(ErrType, e.Sp, "invalid TIMESTAMP literal '%s', want 'YYYY-MM-DD HH:MM:SS[.fff]'", e.Value)
	}
	return &RexLiteral{Value: e.Value, T: tTimestamp(3)}
}
