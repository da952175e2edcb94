package sql

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bindOutput renders the analysis of a script: diagnostics, then each sink's logical plan.
func bindOutput(src string) string {
	prog, err := Analyze(src)
	var b strings.Builder
	for _, d := range Diagnostics(err) {
		writeDiagnostic(&b, d)
	}
	for _, s := range prog.Sinks {
		b.WriteString(ExplainRel(s))
	}
	return b.String()
}

func TestBindGolden(t *testing.T) {
	t.Parallel()
	inputs, _ := filepath.Glob("testdata/bind/*.sql")
	nexmark, _ := filepath.Glob("testdata/nexmark_*.sql")
	for _, file := range append(inputs, nexmark...) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := bindOutput(string(src))
			golden := filepath.Join("testdata/bind", strings.TrimSuffix(filepath.Base(file), ".sql")+".golden")
			checkGolden(t, golden, got)
		})
	}
}

const pgCounts = "CREATE TABLE src (a BIGINT) WITH ('connector' = 'postgres', 'table-name' = 'src', 'url' = 'postgres://db/app');\n"

func TestValidateSentinels(t *testing.T) {
	t.Parallel()
	const sink = "CREATE TABLE s (a BIGINT) WITH ('connector' = 'blackhole');\n"
	cases := []struct {
		src  string
		kind error
	}{
		{sink + "CREATE TABLE p (a BIGINT) WITH ('connector' = 'postgres', 'table-name' = 't', 'password' = 'x', 'integration' = 'pg');", ErrInlineSecret},
		{sink + "CREATE TABLE d (a BIGINT) WITH ('connector' = 'datagen', 'rows-per-sec' = '1');", ErrOption},
		{sink + "INSERT INTO s SELECT a FROM nowhere;", ErrUnknownName},
		{sink + "INSERT INTO s SELECT 'x';", ErrType},
		{sink + "INSERT INTO s SELECT a FROM s;", ErrUnsupported},
		{"SELECT FROM", ErrSyntax},
		{pgCounts + "CREATE TABLE c (k BIGINT, n BIGINT) WITH ('connector' = 'postgres', 'table-name' = 'c', 'url' = 'postgres://db/app');\n" +
			"INSERT INTO c SELECT a, COUNT(*) FROM src GROUP BY a;", ErrUnsupported},
		{pgCounts + "CREATE TABLE c (k BIGINT, n BIGINT) WITH ('connector' = 'postgres', 'scan.query' = 'SELECT 1', 'url' = 'postgres://db/app');\n" +
			"INSERT INTO c SELECT a, a FROM src;", ErrUnsupported},
	}
	for _, c := range cases {
		_, err := Analyze(c.src)
		if !errors.Is(err, c.kind) {
			t.Fatalf("Analyze(%q) = %v, want %v", c.src, err, c.kind)
		}
	}
}

func TestValidateValid(t *testing.T) {
	t.Parallel()
	src := `CREATE TABLE src (a BIGINT, b STRING) WITH ('connector' = 'datagen', 'fields.a.kind' = 'sequence', 'fields.a.start' = '1', 'fields.a.end' = '100');
CREATE TABLE dst (a BIGINT, b STRING) WITH ('connector' = 'print');
INSERT INTO dst SELECT a, UPPER(b) FROM src WHERE a > 10;`
	if got := Validate(src); len(got) != 0 {
		t.Fatalf("Validate = %v, want no diagnostics", got)
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	src := `CREATE TABLE unused (a BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE src (a BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE pg (a BIGINT) WITH ('connector' = 'postgres', 'table-name' = 't', 'integration' = 'pg-1');
CREATE VIEW v AS SELECT a FROM src;
INSERT INTO pg SELECT a FROM v;`
	prog, err := Analyze(src)
	if err != nil {
		t.Fatal(err)
	}
	sum := Summarize(prog)
	if len(sum.Sources) != 1 || sum.Sources[0].Name != "src" || sum.Sources[0].Line != 2 {
		t.Fatalf("sources = %+v, want src on line 2", sum.Sources)
	}
	if len(sum.Sinks) != 1 || sum.Sinks[0].Integration != "pg-1" || sum.Sinks[0].Connector != "postgres" {
		t.Fatalf("sinks = %+v, want pg with integration pg-1", sum.Sinks)
	}
}

func TestTopNOnSharedView(t *testing.T) {
	t.Parallel()
	src := `CREATE TABLE src (k BIGINT, v BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE out (k BIGINT, v BIGINT) WITH ('connector' = 'print');
CREATE VIEW ranked AS SELECT k, v, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v DESC) AS rn FROM src;
INSERT INTO out SELECT k, v FROM ranked WHERE rn <= 3;
INSERT INTO out SELECT k, v FROM ranked WHERE rn = 1;`
	prog, err := Analyze(src)
	if err != nil {
		t.Fatal(err)
	}
	var limits []int64
	for _, s := range prog.Sinks {
		var walk func(r Rel)
		walk = func(r Rel) {
			if rank, ok := r.(*Rank); ok {
				limits = append(limits, rank.Limit)
			}
			for _, in := range r.Inputs() {
				walk(in)
			}
		}
		walk(s)
	}
	if len(limits) != 2 || limits[0] != 3 || limits[1] != 1 {
		t.Fatalf("rank limits = %v, want [3 1]", limits)
	}
}
