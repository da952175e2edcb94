package sql

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden files")

// goldenOutput renders a parse result: one "-- error" line per error, then the canonical print.
func goldenOutput(src string) string {
	script, err := Parse(src)
	var b strings.Builder
	var list ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			writeDiagnostic(&b, e.Diagnostic())
		}
	}
	b.WriteString(PrintScript(script))
	b.WriteString("\n")
	return b.String()
}

// writeDiagnostic renders d as a golden file's "-- error" line.
func writeDiagnostic(b *strings.Builder, d Diagnostic) {
	fmt.Fprintf(b, "-- error %d:%d-%d:%d: %s\n", d.Line, d.Column, d.EndLine, d.EndColumn, d.Message)
}

// checkGolden compares got with the golden file, or rewrites the file with -update.
func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./dataflow/sql -update)", err)
	}
	if got != string(want) {
		t.Fatalf("output differs from %s:\n--- got\n%s\n--- want\n%s", golden, got, want)
	}
}

func TestParseGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := goldenOutput(string(src))
			golden := strings.TrimSuffix(file, ".sql") + ".golden"
			checkGolden(t, golden, got)
			if *update {
				return
			}
			checkRoundTrip(t, string(src))
		})
	}
}

// checkRoundTrip asserts that printing is a fixed point: parse(print(parse(src))) prints the same.
func checkRoundTrip(t *testing.T, src string) {
	t.Helper()
	script, err := Parse(src)
	if err != nil && len(script.Statements) == 0 {
		return
	}
	first := PrintScript(script)
	again, err := Parse(first)
	if err != nil {
		t.Fatalf("canonical output does not parse: %v\n%s", err, first)
	}
	if second := PrintScript(again); second != first {
		t.Fatalf("print is not stable:\n--- first\n%s\n--- second\n%s", first, second)
	}
}

func TestParseErrorPositions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		src  string
		want Diagnostic
	}{
		{"SELECT a FROM", diag("expected table name, subquery or TABLE(...), found end of input", 1, 14, 1, 14)},
		{"SELECT a,\n  FROM t", diag("expected expression, found keyword FROM", 2, 3, 2, 7)},
		{"CREATE TABLE t (a INT) WITH ('x' = 1)", diag("expected option value string, found number 1", 1, 36, 1, 37)},
		{"SELECT 'abc", diag("unterminated string: expected ', found end of input", 1, 8, 1, 12)},
		{"CREATE TABLE t (a INT, PRIMARY KEY (a))", diag("expected NOT ENFORCED (Flink does not enforce primary keys), found ')'", 1, 39, 1, 40)},
		{"SELECT CAST(a AS WIBBLE) FROM t", diag("expected data type, found identifier WIBBLE", 1, 18, 1, 24)},
		{"SELECT * FROM TABLE(TUMBLE(TABLE t, ts, INTERVAL '1' SECOND))", diag("expected DESCRIPTOR, found identifier ts", 1, 37, 1, 39)},
		{"INSERT t SELECT 1", diag("expected INTO or OVERWRITE, found identifier t", 1, 8, 1, 9)},
		{"SELECT INTERVAL '1' FORTNIGHT", diag("expected time unit (YEAR, MONTH, DAY, HOUR, MINUTE or SECOND), found identifier FORTNIGHT", 1, 21, 1, 30)},
		{"SELECT a FROM t WHERE é > 1 #", diag("unexpected character '#'", 1, 29, 1, 30)},
	}
	for _, c := range cases {
		_, err := Parse(c.src)
		diags := Diagnostics(err)
		if len(diags) != 1 {
			t.Fatalf("Parse(%q): got %d diagnostics %v, want 1", c.src, len(diags), diags)
		}
		if diags[0] != c.want {
			t.Fatalf("Parse(%q):\n got %+v\nwant %+v", c.src, diags[0], c.want)
		}
		if !errors.Is(err, ErrSyntax) {
			t.Fatalf("Parse(%q): error %v is not ErrSyntax", c.src, err)
		}
	}
}

func TestParseRecoversAfterError(t *testing.T) {
	t.Parallel()
	script, err := Parse("SELECT FROM;\nSELECT 1;\nSELECT ,;")
	if got := len(Diagnostics(err)); got != 2 {
		t.Fatalf("got %d errors, want 2: %v", got, err)
	}
	if got := len(script.Statements); got != 1 {
		t.Fatalf("got %d statements, want 1", got)
	}
}

func TestParseDeepNesting(t *testing.T) {
	t.Parallel()
	src := "SELECT " + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000)
	_, err := Parse(src)
	if !errors.Is(err, ErrSyntax) {
		t.Fatalf("got %v, want a nesting error", err)
	}
}

func diag(msg string, line, col, endLine, endCol int) Diagnostic {
	return Diagnostic{Message: msg, Line: line, Column: col, EndLine: endLine, EndColumn: endCol}
}
