package sql

import (
	"fmt"

	"github.com/flowplane/flowplane/dataflow"
)

// scalarFunc checks the argument types of a built-in scalar function and returns its result
// type, or a message describing the expected arguments.
type scalarFunc struct {
	minArgs, maxArgs int // maxArgs < 0: variadic
	result           func(args []Type) (Type, bool)
	signature        string
}

func anyNullable(args []Type) bool {
	for _, a := range args {
		if a.Nullable {
			return true
		}
	}
	return false
}

// fixed returns a checker whose arguments must satisfy preds (the last repeats) and whose result
// is res, nullable when any argument is.
func fixed(res Type, preds ...func(Type) bool) func([]Type) (Type, bool) {
	return func(args []Type) (Type, bool) {
		for i, a := range args {
			p := preds[min(i, len(preds)-1)]
			if !a.Null && !p(a) {
				return Type{}, false
			}
		}
		return res.nullable(anyNullable(args)), true
	}
}

func isStr(t Type) bool  { return t.isString() }
func isNum(t Type) bool  { return t.isNumeric() }
func isInt(t Type) bool  { return t.isInteger() }
func isTime(t Type) bool { return t.isTemporal() }
func isAny(Type) bool    { return true }
func isTimeOrStr(t Type) bool {
	return t.isTemporal() || t.isString()
}

// sameAsFirst returns the first argument's type (numeric functions like ABS, FLOOR).
func sameAsFirst(preds ...func(Type) bool) func([]Type) (Type, bool) {
	return func(args []Type) (Type, bool) {
		if _, ok := fixed(tNull, preds...)(args); !ok {
			return Type{}, false
		}
		return args[0].plain().nullable(anyNullable(args)), true
	}
}

// common returns the common type of all arguments (COALESCE, GREATEST, ...).
func common(nullable func(args []Type) bool) func([]Type) (Type, bool) {
	return func(args []Type) (Type, bool) {
		t := args[0].plain()
		for _, a := range args[1:] {
			var ok bool
			if t, ok = commonType(t, a); !ok {
				return Type{}, false
			}
		}
		return t.nullable(nullable(args)), true
	}
}

func allNullable(args []Type) bool {
	for _, a := range args {
		if !a.Nullable {
			return false
		}
	}
	return true
}

var tTimestampLTZ3 = Type{LogicalType: dataflow.TimestampLTZ(3)}

var scalarFuncs = map[string]scalarFunc{
	"UPPER":             {1, 1, fixed(tString, isStr), "UPPER(STRING)"},
	"LOWER":             {1, 1, fixed(tString, isStr), "LOWER(STRING)"},
	"TRIM":              {1, 1, fixed(tString, isStr), "TRIM(STRING)"},
	"LTRIM":             {1, 1, fixed(tString, isStr), "LTRIM(STRING)"},
	"RTRIM":             {1, 1, fixed(tString, isStr), "RTRIM(STRING)"},
	"CHAR_LENGTH":       {1, 1, fixed(tInt, isStr), "CHAR_LENGTH(STRING)"},
	"CHARACTER_LENGTH":  {1, 1, fixed(tInt, isStr), "CHARACTER_LENGTH(STRING)"},
	"CONCAT":            {1, -1, fixed(tString, isStr), "CONCAT(STRING, ...)"},
	"CONCAT_WS":         {2, -1, fixed(tString, isStr), "CONCAT_WS(separator STRING, STRING, ...)"},
	"SUBSTRING":         {2, 3, fixed(tString, isStr, isInt), "SUBSTRING(STRING, start INT[, length INT])"},
	"REPLACE":           {3, 3, fixed(tString, isStr), "REPLACE(STRING, search STRING, replacement STRING)"},
	"SPLIT_INDEX":       {3, 3, fixed(tString.nullable(true), isStr, isStr, isInt), "SPLIT_INDEX(STRING, separator STRING, index INT)"},
	"REGEXP_EXTRACT":    {2, 3, fixed(tString.nullable(true), isStr, isStr, isInt), "REGEXP_EXTRACT(STRING, regex STRING[, group INT])"},
	"REGEXP_REPLACE":    {3, 3, fixed(tString, isStr), "REGEXP_REPLACE(STRING, regex STRING, replacement STRING)"},
	"MD5":               {1, 1, fixed(tString, isStr), "MD5(STRING)"},
	"UUID":              {0, 0, fixed(tString), "UUID()"},
	"DATE_FORMAT":       {2, 2, fixed(tString, isTimeOrStr, isStr), "DATE_FORMAT(TIMESTAMP, format STRING)"},
	"TO_TIMESTAMP":      {1, 2, fixed(tTimestamp(3), isStr), "TO_TIMESTAMP(STRING[, format STRING])"},
	"TO_DATE":           {1, 2, fixed(tDate, isStr), "TO_DATE(STRING[, format STRING])"},
	"FROM_UNIXTIME":     {1, 2, fixed(tString, isInt, isStr), "FROM_UNIXTIME(seconds BIGINT[, format STRING])"},
	"UNIX_TIMESTAMP":    {0, 2, fixed(tBigInt, isStr), "UNIX_TIMESTAMP([STRING[, format STRING]])"},
	"TO_TIMESTAMP_LTZ":  {2, 2, fixed(tTimestampLTZ3, isNum, isInt), "TO_TIMESTAMP_LTZ(epoch BIGINT, precision INT)"},
	"YEAR":              {1, 1, fixed(tBigInt, isTime), "YEAR(DATE or TIMESTAMP)"},
	"MONTH":             {1, 1, fixed(tBigInt, isTime), "MONTH(DATE or TIMESTAMP)"},
	"DAYOFMONTH":        {1, 1, fixed(tBigInt, isTime), "DAYOFMONTH(DATE or TIMESTAMP)"},
	"HOUR":              {1, 1, fixed(tBigInt, isTime), "HOUR(TIMESTAMP)"},
	"MINUTE":            {1, 1, fixed(tBigInt, isTime), "MINUTE(TIMESTAMP)"},
	"SECOND":            {1, 1, fixed(tBigInt, isTime), "SECOND(TIMESTAMP)"},
	"CURRENT_TIMESTAMP": {0, 0, fixed(tTimestampLTZ3), "CURRENT_TIMESTAMP"},
	"NOW":               {0, 0, fixed(tTimestampLTZ3), "NOW()"},
	"LOCALTIMESTAMP":    {0, 0, fixed(tTimestamp(3)), "LOCALTIMESTAMP"},
	"CURRENT_DATE":      {0, 0, fixed(tDate), "CURRENT_DATE"},
	"ABS":               {1, 1, sameAsFirst(isNum), "ABS(NUMERIC)"},
	"FLOOR":             {1, 1, sameAsFirst(isNum), "FLOOR(NUMERIC)"},
	"CEIL":              {1, 1, sameAsFirst(isNum), "CEIL(NUMERIC)"},
	"ROUND":             {1, 2, sameAsFirst(isNum, isInt), "ROUND(NUMERIC[, digits INT])"},
	"MOD":               {2, 2, modResult, "MOD(INT, INT)"},
	"POWER":             {2, 2, fixed(tDouble, isNum), "POWER(NUMERIC, NUMERIC)"},
	"SQRT":              {1, 1, fixed(tDouble, isNum), "SQRT(NUMERIC)"},
	"LN":                {1, 1, fixed(tDouble, isNum), "LN(NUMERIC)"},
	"LOG10":             {1, 1, fixed(tDouble, isNum), "LOG10(NUMERIC)"},
	"EXP":               {1, 1, fixed(tDouble, isNum), "EXP(NUMERIC)"},
	"RAND":              {0, 1, fixed(tDouble, isInt), "RAND([seed INT])"},
	"COALESCE":          {1, -1, common(allNullable), "COALESCE(value, ...)"},
	"GREATEST":          {1, -1, common(anyNullable), "GREATEST(value, ...)"},
	"LEAST":             {1, -1, common(anyNullable), "LEAST(value, ...)"},
	"NULLIF":            {2, 2, nullifResult, "NULLIF(value, value)"},
	"IF":                {3, 3, ifResult, "IF(BOOLEAN, value, value)"},
	"HASH_CODE":         {1, 1, fixed(tInt, isAny), "HASH_CODE(value)"},
}

func modResult(args []Type) (Type, bool) {
	if !(args[0].Null || args[0].isInteger()) || !(args[1].Null || args[1].isInteger()) {
		return Type{}, false
	}
	return args[1].plain().nullable(anyNullable(args)), true
}

func nullifResult(args []Type) (Type, bool) {
	if _, ok := commonType(args[0], args[1]); !ok {
		return Type{}, false
	}
	return args[0].plain().nullable(true), true
}

func ifResult(args []Type) (Type, bool) {
	if !args[0].isBool() {
		return Type{}, false
	}
	t, ok := commonType(args[1], args[2])
	return t, ok
}

// aggFuncs are the supported aggregate functions.
var aggFuncs = map[string]bool{"COUNT": true, "SUM": true, "MIN": true, "MAX": true, "AVG": true,
	"FIRST_VALUE": true, "LAST_VALUE": true}

// aggResult returns the result type of an aggregate over arg (zero Type for COUNT(*)).
func aggResult(name string, arg Type, grouped bool) (Type, string, bool) {
	nullable := arg.Nullable || !grouped
	switch name {
	case "COUNT":
		return tBigInt, "", true
	case "SUM", "AVG":
		if !arg.isNumeric() || arg.Null {
			return Type{}, "a numeric argument", false
		}
		t := arg.plain()
		if name == "SUM" && t.Kind == dataflow.TypeDecimal {
			t = tDecimal(dataflow.MaxDecimalPrecision, t.Scale)
		}
		if name == "AVG" && t.Kind == dataflow.TypeDecimal {
			t = tDecimal(dataflow.MaxDecimalPrecision, max(t.Scale, 6))
		}
		if name == "AVG" && t.Kind == dataflow.TypeFloat {
			t = tDouble
		}
		return t.nullable(nullable), "", true
	}
	if arg.Null {
		return Type{}, "a typed argument", false
	}
	return arg.plain().nullable(nullable), "", true
}

func funcSignatureError(name string, f scalarFunc, types []Type) string {
	return fmt.Sprintf("cannot apply %s to (%s); expected %s", name, describeTypes(types), f.signature)
}
