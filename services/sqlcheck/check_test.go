package sqlcheck_test

import (
	"testing"

	"github.com/flowplane/flowplane/services/sqlcheck"
)

func TestValidVersion(t *testing.T) {
	t.Parallel()
	in := sqlcheck.Input{
		Sources:   []string{"CREATE TABLE bids (id BIGINT, price DOUBLE) WITH ('connector' = 'datagen')"},
		Sinks:     []string{"CREATE TABLE out (id BIGINT) WITH ('connector' = 'print');"},
		Statement: "-- copy; bids\nINSERT INTO out SELECT id FROM bids WHERE price > 1.5 /* ; */",
	}
	if d := sqlcheck.Check(sqlcheck.Minimal, in); len(d) != 0 {
		t.Fatalf("diagnostics = %+v", d)
	}
}

func TestDiagnosticsPointIntoTheirPart(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		in        sqlcheck.Input
		field     string
		line, col int
	}{
		{"unclosed paren in statement", sqlcheck.Input{Statement: "INSERT INTO o\nSELECT (a FROM t"}, "statement", 2, 8},
		{"bad keyword in source", sqlcheck.Input{Sources: []string{"CREATE TABEL t (a INT)"}, Statement: "INSERT INTO o SELECT 1"}, "sources[0]", 1, 1},
		{"unterminated string in sink", sqlcheck.Input{Sinks: []string{"CREATE TABLE o (a INT)\nWITH ('connector' = 'print)"}, Statement: "INSERT INTO o SELECT 1"}, "sinks[0]", 2, 21},
		{"no insert", sqlcheck.Input{Statement: "CREATE VIEW v AS SELECT 1"}, "statement", 1, 0},
		{"select alone", sqlcheck.Input{Statement: "\n  SELECT 1"}, "statement", 2, 3},
	}
	for _, c := range cases {
		d := sqlcheck.Check(sqlcheck.Minimal, c.in)
		if len(d) == 0 {
			t.Fatalf("%s: no diagnostics", c.name)
		}
		if d[0].Field != c.field || d[0].Line != c.line || (c.col != 0 && d[0].Column != c.col) {
			t.Fatalf("%s: got %+v, want %s %d:%d", c.name, d[0], c.field, c.line, c.col)
		}
	}
}

func FuzzMinimal(f *testing.F) {
	f.Add("INSERT INTO o SELECT 'a''b' FROM t;")
	f.Add("/* x")
	f.Add("CREATE TABLE t (a INT) WITH ('x'='y'); INSERT INTO t VALUES (1)")
	f.Fuzz(func(t *testing.T, s string) {
		for _, d := range sqlcheck.Check(sqlcheck.Minimal, sqlcheck.Input{Statement: s}) {
			if d.Line < 1 || d.Message == "" {
				t.Fatalf("bad diagnostic %+v for %q", d, s)
			}
		}
	})
}
