package sql

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and that printing is a fixed point:
// parse -> print -> parse -> print yields the same text.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.sql")
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err == nil {
			f.Add(string(src))
		}
	}
	f.Add("SELECT - -1, a.b.c, `x``y` FROM t WHERE NOT NOT a IS NULL")
	f.Fuzz(func(t *testing.T, src string) {
		script, err := Parse(src)
		if err != nil && len(script.Statements) == 0 {
			return
		}
		first := PrintScript(script)
		again, err := Parse(first)
		if err != nil {
			t.Fatalf("canonical output does not parse: %v\ninput: %q\noutput:\n%s", err, src, first)
		}
		if second := PrintScript(again); second != first {
			t.Fatalf("print is not stable:\n--- first\n%s\n--- second\n%s", first, second)
		}
	})
}

// FuzzCompile checks that validation and planning never panic, whatever the script.
func FuzzCompile(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.sql")
	more, _ := filepath.Glob("testdata/*.sql")
	for _, file := range append(files, more...) {
		src, err := os.ReadFile(file)
		if err == nil {
			f.Add(string(src))
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		g, diags := Compile(src, CompileOptions{Parallelism: 2})
		if g == nil && len(diags) == 0 {
			t.Fatalf("Compile returned neither a graph nor diagnostics for %q", src)
		}
		for _, d := range diags {
			if d.Line < 1 || d.Column < 1 || d.EndLine < d.Line || d.EndLine == d.Line && d.EndColumn < d.Column {
				t.Fatalf("bad diagnostic position %+v for %q", d, src)
			}
		}
	})
}

// FuzzCompilePreview checks that previews never panic: the fuzzed text is the SELECT, compiled
// against the Nexmark tables.
func FuzzCompilePreview(f *testing.F) {
	tables, err := os.ReadFile("testdata/nexmark_q0.sql")
	if err != nil {
		f.Fatal(err)
	}
	for _, q := range []string{"SELECT * FROM bid", "SELECT auction, COUNT(*) FROM bid GROUP BY auction", "SELECT 1",
		"SELECT * FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '1' SECOND))", "INSERT INTO nexmark_q0 SELECT * FROM bid"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		pv, diags := CompilePreview([]Part{{Name: "sources[0]", SQL: string(tables)}, {Name: "statement", SQL: q}}, CompileOptions{})
		if (pv == nil) == (len(diags) == 0) {
			t.Fatalf("CompilePreview(%q) = %v, %v: want a preview or diagnostics", q, pv, diags)
		}
		for _, d := range diags {
			if d.Line < 1 || d.Column < 1 || d.Part == "" {
				t.Fatalf("bad diagnostic %+v for %q", d, q)
			}
		}
	})
}
