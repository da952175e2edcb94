package sql

import (
	"strings"
	"testing"
)

func TestValidatePartsMapsPositions(t *testing.T) {
	t.Parallel()
	parts := []Part{
		{Name: "sources[0]", SQL: "CREATE TABLE src (a BIGINT)\nWITH ('connector' = 'datagen', 'bogus' = '1')"},
		{Name: "sinks[0]", SQL: "CREATE TABLE dst (a BIGINT) WITH ('connector' = 'print')"},
		{Name: "statement", SQL: "INSERT INTO dst\nSELECT b FROM src"},
	}
	got := ValidateParts(parts)
	want := []Diagnostic{
		{Part: "sources[0]", Message: "unknown option 'bogus' for connector 'datagen'; allowed: 'fields.<field>.end', 'fields.<field>.kind', 'fields.<field>.length', 'fields.<field>.max', 'fields.<field>.max-past', 'fields.<field>.min', 'fields.<field>.null-rate', 'fields.<field>.start', 'number-of-rows', 'rows-per-second'", Line: 2, Column: 32, EndLine: 2, EndColumn: 39},
		{Part: "statement", Message: "unknown column b; available: a", Line: 2, Column: 8, EndLine: 2, EndColumn: 9},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("ValidateParts = %+v\nwant %+v", got, want)
	}
	parts[0].SQL = "CREATE TABLE src (a BIGINT) WITH ('connector' = 'datagen')"
	got = ValidateParts(parts)
	want = []Diagnostic{{Part: "statement", Message: "unknown column b; available: a", Line: 2, Column: 8, EndLine: 2, EndColumn: 9}}
	if len(got) != 1 || got[0] != want[0] {
		t.Fatalf("ValidateParts = %+v\nwant %+v", got, want)
	}
	parts[2].SQL = "INSERT INTO dst SELECT a FROM src"
	if g, diags := CompileParts(parts, CompileOptions{}); g == nil || len(diags) > 0 {
		t.Fatalf("CompileParts = %v, %v; want a graph", g, diags)
	}
}

func TestIntegrationRefs(t *testing.T) {
	t.Parallel()
	parts := []Part{
		{Name: "sources[0]", SQL: "CREATE TABLE k (a BIGINT) WITH ('connector' = 'kafka',\n  'integration' = 'int_a', 'topic' = 't')"},
		{Name: "sinks[0]", SQL: "CREATE TABLE p (a BIGINT) WITH ('integration' = 'int_b', 'connector' = 'postgres')"},
		{Name: "statement", SQL: "INSERT INTO p SELECT a FROM k WHERE"}, // invalid: the refs are still found
	}
	got := IntegrationRefs(parts)
	want := []IntegrationRef{
		{ID: "int_a", Table: "k", Connector: "kafka", At: Diagnostic{Part: "sources[0]", Line: 2, Column: 19, EndLine: 2, EndColumn: 26}},
		{ID: "int_b", Table: "p", Connector: "postgres", At: Diagnostic{Part: "sinks[0]", Line: 1, Column: 49, EndLine: 1, EndColumn: 56}},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("IntegrationRefs = %+v\nwant %+v", got, want)
	}
}

func TestPartIntegration(t *testing.T) {
	t.Parallel()
	parts := []Part{
		{Name: "sources[0]", SQL: "CREATE TABLE g (a BIGINT) WITH ('connector' = 'datagen')"},
		{Name: "sinks[0]", SQL: "CREATE TABLE p (a BIGINT, PRIMARY KEY (a) NOT ENFORCED) WITH ('connector' = 'postgres', 'table-name' = 'p')", Integration: "int_b"},
		{Name: "statement", SQL: "INSERT INTO p SELECT a FROM g"},
	}
	g, diags := CompileParts(parts, CompileOptions{})
	if len(diags) > 0 || !strings.Contains(string(g.Vertices[0].Operators[len(g.Vertices[0].Operators)-1].Config), `"integration":"int_b"`) {
		t.Fatalf("CompileParts = %+v, %v; want the sink to carry int_b", g, diags)
	}
	if refs := IntegrationRefs(parts); len(refs) != 1 || refs[0].ID != "int_b" || refs[0].At.Part != "sinks[0]" || refs[0].At.Column != 14 {
		t.Fatalf("IntegrationRefs = %+v", refs)
	}
	parts[1].SQL = "CREATE TABLE p (a BIGINT) WITH ('connector' = 'postgres', 'table-name' = 'p', 'integration' = 'int_c')"
	diags = ValidateParts(parts)
	if len(diags) != 1 || diags[0].Part != "sinks[0]" || diags[0].Column != 95 || !strings.Contains(diags[0].Message, "its integration_id is 'int_b'") {
		t.Fatalf("conflicting integration: %+v", diags)
	}
	parts[0].Integration = "int_b" // datagen takes none
	if diags = ValidateParts(parts); len(diags) < 1 || diags[0].Part != "sources[0]" || !strings.Contains(diags[0].Message, "does not use integrations") {
		t.Fatalf("integration on datagen: %+v", diags)
	}
}

func TestEndpointRefs(t *testing.T) {
	t.Parallel()
	parts := []Part{
		{Name: "sources[0]", SQL: "CREATE TABLE k (a BIGINT) WITH ('connector' = 'kafka',\n 'properties.bootstrap.servers' = 'b1:9092, [fe80::1]:9092')"},
		{Name: "sinks[0]", SQL: "CREATE TABLE p (a BIGINT) WITH ('connector' = 'postgres', 'url' = 'jdbc:postgresql://169.254.169.254:5432/db')"},
		{Name: "statement", SQL: "INSERT INTO p SELECT a FROM k"},
	}
	got := EndpointRefs(parts)
	if len(got) != 2 || strings.Join(got[0].Hosts, " ") != "b1 fe80::1" || got[0].At.Part != "sources[0]" || got[0].At.Line != 2 ||
		got[0].At.Column != 35 || got[1].Hosts[0] != "169.254.169.254" || got[1].Option != "url" || got[1].Connector != "postgres" {
		t.Fatalf("EndpointRefs = %+v", got)
	}
}
