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
