package eval

import (
	"encoding/json"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/sql"
)

var ts0 = time.Date(2024, 3, 5, 14, 7, 9, 123e6, time.UTC).UnixMilli()

func columns() []sql.Column {
	t := func(lt dataflow.LogicalType) sql.Type { return sql.Type{LogicalType: lt, Nullable: true} }
	return []sql.Column{
		{Name: "i", Type: t(dataflow.Int)}, {Name: "b", Type: t(dataflow.BigInt)},
		{Name: "d", Type: t(dataflow.Decimal(10, 2))}, {Name: "f", Type: t(dataflow.Double)},
		{Name: "s", Type: t(dataflow.String)}, {Name: "ts", Type: t(dataflow.Timestamp(3))},
		{Name: "n", Type: t(dataflow.Int)}, {Name: "flag", Type: t(dataflow.Boolean)},
	}
}

func row() []any {
	return []any{int64(7), int64(100), big.NewRat(1234, 100), 2.5, "Hello/World/x", ts0, nil, true}
}

func evalSQL(t *testing.T, src string) (any, error) {
	t.Helper()
	r, err := sql.BindExpr(src, columns())
	if err != nil {
		t.Fatalf("BindExpr(%s): %v", src, err)
	}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	e, err := Decode(raw, Env{Now: func() time.Time { return time.UnixMilli(ts0) }})
	if err != nil {
		t.Fatalf("Decode(%s): %v", raw, err)
	}
	return e.Eval(row())
}

func TestEval(t *testing.T) {
	t.Parallel()
	cases := []struct {
		src  string
		want string
	}{
		{"i + b * 2", "207"},
		{"b / 3", "33"},
		{"i % 4", "3"},
		{"-i", "-7"},
		{"f * 2", "5"},
		{"d + 1", "13.34"},
		{"0.908 * b", "90.8"},
		{"d / 3", "4.1133333333333"},
		{"i = 7 AND s LIKE 'Hello%'", "TRUE"},
		{"s LIKE 'h%'", "FALSE"},
		{"s NOT LIKE '%x'", "FALSE"},
		{"'a_b' LIKE 'a!_b' ESCAPE '!'", "TRUE"},
		{"n IS NULL", "TRUE"},
		{"n > 1", "<nil>"},
		{"n > 1 AND FALSE", "FALSE"},
		{"n > 1 OR TRUE", "TRUE"},
		{"NOT flag", "FALSE"},
		{"i IN (1, 7)", "TRUE"},
		{"i IN (1, n)", "<nil>"},
		{"i NOT IN (1, 2)", "TRUE"},
		{"i BETWEEN 1 AND 10", "TRUE"},
		{"CASE WHEN i > 10 THEN 'big' WHEN i > 5 THEN 'mid' ELSE 'small' END", "mid"},
		{"CASE i WHEN 7 THEN 'seven' END", "seven"},
		{"CASE WHEN n > 1 THEN 'x' END", "<nil>"},
		{"COALESCE(n, i, 0)", "7"},
		{"COALESCE(NULL, i)", "7"},
		{"NULL IS NULL", "TRUE"},
		{"NULLIF(i, 7)", "<nil>"},
		{"IF(i > 1, 'yes', 'no')", "yes"},
		{"s || '!'", "Hello/World/x!"},
		{"UPPER(s)", "HELLO/WORLD/X"},
		{"CHAR_LENGTH(s)", "13"},
		{"CONCAT(s, '-', 'z')", "Hello/World/x-z"},
		{"CONCAT_WS('-', 'a', CAST(n AS STRING), 'b')", "a-b"},
		{"SUBSTRING(s, 7, 5)", "World"},
		{"SPLIT_INDEX(s, '/', 1)", "World"},
		{"SPLIT_INDEX(s, '/', 9)", "<nil>"},
		{"REGEXP_EXTRACT('channel_id=42&x', '(&|^)channel_id=([^&]*)', 2)", "42"},
		{"REPLACE(s, '/', '.')", "Hello.World.x"},
		{"DATE_FORMAT(ts, 'yyyy-MM-dd')", "2024-03-05"},
		{"DATE_FORMAT(ts, 'HH:mm')", "14:07"},
		{"EXTRACT(HOUR FROM ts)", "14"},
		{"EXTRACT(YEAR FROM ts)", "2024"},
		{"HOUR(ts)", "14"},
		{"ts - INTERVAL '7' MINUTE > ts", "FALSE"},
		{"CAST(ts - INTERVAL '1' DAY AS STRING)", "2024-03-04 14:07:09.123"},
		{"CAST(ts + INTERVAL '1' MONTH AS DATE)", "19818"},
		{"CAST('42' AS INT) + 1", "43"},
		{"TRY_CAST('x' AS INT)", "<nil>"},
		{"CAST(d AS BIGINT)", "12"},
		{"CAST(f AS DECIMAL(5, 1))", "2.5"},
		{"CAST(i AS STRING)", "7"},
		{"CAST(flag AS STRING)", "TRUE"},
		{"CAST('2024-01-02 03:04:05' AS TIMESTAMP(3)) < ts", "TRUE"},
		{"ROUND(d, 1)", "12.3"},
		{"FLOOR(-2.5)", "-3"},
		{"CEIL(2.1)", "3"},
		{"ABS(-3)", "3"},
		{"MOD(b, 7)", "2"},
		{"GREATEST(i, 3, 9)", "9"},
		{"POWER(2, 10)", "1024"},
		{"CURRENT_TIMESTAMP = ts", "TRUE"},
		{"TIMESTAMP '2024-03-05 14:07:09.123' = ts", "TRUE"},
		{"DATE '1970-01-02' = CAST(TIMESTAMP '1970-01-02 10:00:00' AS DATE)", "TRUE"},
	}
	for _, c := range cases {
		v, err := evalSQL(t, c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if got := show(v); got != c.want {
			t.Fatalf("%s = %s, want %s", c.src, got, c.want)
		}
	}
}

func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case *big.Rat:
		return trimRat(x)
	case float64:
		return format(x, dataflow.Double)
	}
	return format(v, dataflow.String)
}

// trimRat prints a decimal with as many digits as it has (up to 13).
func trimRat(x *big.Rat) string {
	for scale := 0; scale <= 13; scale++ {
		s := x.FloatString(scale)
		if r, ok := new(big.Rat).SetString(s); ok && r.Cmp(x) == 0 {
			return s
		}
	}
	return x.FloatString(13)
}

func TestEvalErrors(t *testing.T) {
	t.Parallel()
	for _, src := range []string{"i / 0", "CAST('x' AS INT)", "CAST(d * 1000000000 AS DECIMAL(5, 0))"} {
		if _, err := evalSQL(t, src); !errors.Is(err, ErrEval) {
			t.Fatalf("%s: err = %v, want ErrEval", src, err)
		}
	}
	if _, err := Decode(json.RawMessage(`{"call":"NOPE","type":"INT"}`), Env{}); !errors.Is(err, ErrDecode) {
		t.Fatalf("unknown call: err = %v, want ErrDecode", err)
	}
	if _, err := Decode(json.RawMessage(`{"input":0,"type":"INT","extra":1}`), Env{}); !errors.Is(err, ErrDecode) {
		t.Fatalf("unknown field: err = %v, want ErrDecode", err)
	}
}
