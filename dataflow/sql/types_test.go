package sql

import (
	"errors"
	"testing"

	"github.com/flowplane/flowplane/dataflow"
)

// typeOfExpr parses and binds one expression over columns i INT, b BIGINT, d DECIMAL(10, 2),
// f DOUBLE, s STRING, ts TIMESTAMP(3) (all nullable) and returns its type.
func typeOfExpr(t *testing.T, src string) (Type, error) {
	t.Helper()
	sc := &scope{}
	for _, c := range []struct {
		name string
		t    Type
	}{{"i", tInt}, {"b", tBigInt}, {"d", tDecimal(10, 2)}, {"f", tDouble}, {"s", tString}, {"ts", tTimestamp(3)}} {
		sc.add("", c.name, c.t.nullable(true))
	}
	var out Type
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				b, ok := r.(bailout)
				if !ok {
					panic(r)
				}
				err = b.err
			}
		}()
		p := &parser{toks: lex(src)}
		e := p.expr()
		if p.tok().kind != tokEOF {
			p.fail("end of expression")
		}
		bd := &binder{cat: newCatalog()}
		out = bd.expr(&exprCtx{sc: sc}, e).Type()
	}()
	return out, err
}

func TestExpressionTypes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		src  string
		want string
	}{
		{"1", "INT NOT NULL"},
		{"3000000000", "BIGINT NOT NULL"},
		{"0.908", "DECIMAL(3,3) NOT NULL"},
		{"1.5e3", "DOUBLE NOT NULL"},
		{"i + b", "BIGINT"},
		{"0.908 * b", "DECIMAL(22,3)"},
		{"d + 1", "DECIMAL(13,2)"},
		{"d * d", "DECIMAL(20,4)"},
		{"d / 3", "DECIMAL(21,13)"},
		{"f * i", "DOUBLE"},
		{"i % 3", "INT"},
		{"s || 'x'", "STRING"},
		{"i = 1 AND s LIKE 'a%'", "BOOLEAN"},
		{"i IS NULL", "BOOLEAN NOT NULL"},
		{"ts - INTERVAL '5' SECOND", "TIMESTAMP(3)"},
		{"INTERVAL '1' HOUR", "INTERVAL DAY TO SECOND NOT NULL"},
		{"INTERVAL '2' YEAR", "INTERVAL YEAR TO MONTH NOT NULL"},
		{"CASE WHEN i > 0 THEN 1 ELSE 2.5 END", "DECIMAL(11,1) NOT NULL"},
		{"CASE WHEN i > 0 THEN 's' END", "STRING"},
		{"COALESCE(i, 0)", "INT NOT NULL"},
		{"CAST(s AS DECIMAL(5, 1))", "DECIMAL(5,1)"},
		{"TRY_CAST('1' AS INT)", "INT"},
		{"EXTRACT(HOUR FROM ts)", "BIGINT"},
		{"DATE_FORMAT(ts, 'HH:mm')", "STRING"},
		{"SPLIT_INDEX(s, '/', 3)", "STRING"},
		{"CHAR_LENGTH(s)", "INT"},
		{"ROUND(d, 1)", "DECIMAL(10,2)"},
		{"MOD(b, 10)", "INT"},
		{"PROCTIME()", "TIMESTAMP_LTZ(3) NOT NULL *PROCTIME*"},
		{"-i", "INT"},
		{"NOT (i > 1)", "BOOLEAN"},
		{"i IN (1, 2, 3)", "BOOLEAN"},
		{"ts BETWEEN TIMESTAMP '2024-01-01 00:00:00' AND ts", "BOOLEAN"},
	}
	for _, c := range cases {
		got, err := typeOfExpr(t, c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if got.String() != c.want {
			t.Fatalf("type of %s = %s, want %s", c.src, got, c.want)
		}
	}
}

func TestExpressionTypeErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		src  string
		kind error
		msg  string
	}{
		{"i + s", ErrType, "expected a number, found s of type STRING"},
		{"s AND i > 1", ErrType, "expected BOOLEAN, found s of type STRING"},
		{"ts = 1", ErrType, "cannot compare TIMESTAMP(3) with INT"},
		{"UPPER(i)", ErrType, "cannot apply UPPER to (INT); expected UPPER(STRING)"},
		{"SUBSTRING(s)", ErrType, "SUBSTRING takes 2 to 3 arguments, found 1 arguments; expected SUBSTRING(STRING, start INT[, length INT])"},
		{"nope", ErrUnknownName, "unknown column nope; available: i, b, d, f, s, ts"},
		{"S", ErrUnknownName, "unknown column S; did you mean s? (names are case-sensitive)"},
		{"COUNT(i)", ErrType, "aggregate function COUNT is not allowed here"},
		{"CAST(ts AS BOOLEAN)", ErrType, "cannot cast TIMESTAMP(3) to BOOLEAN"},
		{"(SELECT 1)", ErrUnsupported, "subqueries in expressions are not supported; use a join"},
		{"SUM(i) OVER (ORDER BY ts)", ErrUnsupported, "OVER windows are only supported with ROW_NUMBER() for Top-N and deduplication, not with SUM"},
		{"INTERVAL '1.5' MINUTE", ErrType, "invalid interval value '1.5' for MINUTE"},
	}
	for _, c := range cases {
		_, err := typeOfExpr(t, c.src)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, c.kind) {
			t.Fatalf("%s: error %v, want %v", c.src, err, c.kind)
		}
		if e.Msg != c.msg {
			t.Fatalf("%s: message %q, want %q", c.src, e.Msg, c.msg)
		}
	}
}

func TestAssignable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		from, to Type
		want     bool
	}{
		{tInt, tBigInt, true},
		{tBigInt, tInt, false},
		{tBigInt, tDecimal(19, 0), true},
		{tBigInt, tDecimal(18, 0), false},
		{tDecimal(23, 3), tDecimal(23, 3), true},
		{tDecimal(10, 2), tDecimal(10, 3), false},
		{tDecimal(10, 2), tDouble, true},
		{tString, tBigInt, false},
		{tNull, tString, true},
		{tTimestamp(3), Type{LogicalType: dataflow.TimestampLTZ(3)}, true},
	}
	for _, c := range cases {
		if got := assignable(c.from, c.to); got != c.want {
			t.Fatalf("assignable(%s, %s) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}
