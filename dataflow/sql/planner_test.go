package sql

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowplane/flowplane/dataflow"
)

func planOutput(src string) string {
	out, diags := ExplainPlan(src, CompileOptions{Name: "test", Parallelism: 2})
	var b strings.Builder
	for _, d := range diags {
		writeDiagnostic(&b, d)
	}
	b.WriteString(out)
	return b.String()
}

func TestPlanGolden(t *testing.T) {
	t.Parallel()
	inputs, _ := filepath.Glob("testdata/plan/*.sql")
	nexmark, _ := filepath.Glob("testdata/nexmark_*.sql")
	for _, file := range append(inputs, nexmark...) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := planOutput(string(src))
			golden := filepath.Join("testdata/plan", strings.TrimSuffix(filepath.Base(file), ".sql")+".golden")
			checkGolden(t, golden, got)
		})
	}
}

func TestCompileRoundTripsThroughJSON(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("testdata/nexmark_q5.sql")
	if err != nil {
		t.Fatal(err)
	}
	g, diags := Compile(string(src), CompileOptions{Parallelism: 4})
	if len(diags) > 0 {
		t.Fatalf("Compile: %v", diags)
	}
	data, err := g.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := dataflow.DecodeGraph(data)
	if err != nil {
		t.Fatalf("DecodeGraph: %v", err)
	}
	if got, want := len(back.Vertices), len(g.Vertices); got != want {
		t.Fatalf("decoded %d vertices, want %d", got, want)
	}
	if got := g.MaxParallelism(); got != 4 {
		t.Fatalf("MaxParallelism = %d, want 4", got)
	}
}

func TestCompileReportsDiagnostics(t *testing.T) {
	t.Parallel()
	g, diags := Compile("INSERT INTO nowhere SELECT 1", CompileOptions{})
	if g != nil || len(diags) != 1 {
		t.Fatalf("Compile = %v, %v; want no graph and one diagnostic", g, diags)
	}
	want := Diagnostic{Message: "unknown table nowhere", Line: 1, Column: 13, EndLine: 1, EndColumn: 20}
	if diags[0] != want {
		t.Fatalf("diagnostic = %+v, want %+v", diags[0], want)
	}
}
