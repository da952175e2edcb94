package dataflow

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func testSchema() Schema {
	return NewSchema(Col("k", BigInt), NullCol("v", Decimal(10, 2)), Col("ts", Timestamp(3))).WithEventTime("ts")
}

func TestGraphBuilderRoundTrip(t *testing.T) {
	t.Parallel()
	b := NewGraphBuilder("wc")
	src := b.Vertex("src", 2).Op("sequence", map[string]int{"rows": 10})
	cnt := b.Vertex("count", 3).Op("keyed_count", map[string]string{"key": "k"}).Op("blackhole", nil)
	b.Connect(src, cnt, HashOn("k"), testSchema())
	g, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	raw, err := g.Encode()
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	back, err := DecodeGraph(raw)
	if err != nil {
		t.Fatalf("DecodeGraph: %v\n%s", err, raw)
	}
	if !reflect.DeepEqual(g, back) {
		t.Fatalf("round trip differs:\n%#v\n%#v", g, back)
	}
	if got, want := back.Edges[0].Schema.Fields[1].Type.String(), "DECIMAL(10,2)"; got != want {
		t.Fatalf("type = %q, want %q", got, want)
	}
	if got, want := back.Vertices[1].Operators[1].ID, OperatorID("count.1.blackhole"); got != want {
		t.Fatalf("operator id = %q, want %q", got, want)
	}
	if got, want := back.MaxParallelism(), 3; got != want {
		t.Fatalf("MaxParallelism = %d, want %d", got, want)
	}
}

func TestGraphValidationErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		build func(b *GraphBuilder)
	}{
		{"forward parallelism", func(b *GraphBuilder) {
			b.Connect(b.Vertex("a", 1).Op("x", nil), b.Vertex("b", 2).Op("y", nil), ForwardEdge, testSchema())
		}},
		{"missing hash key", func(b *GraphBuilder) {
			b.Connect(b.Vertex("a", 1).Op("x", nil), b.Vertex("b", 2).Op("y", nil), HashOn("nope"), testSchema())
		}},
		{"no operators", func(b *GraphBuilder) { b.Vertex("a", 1) }},
		{"zero parallelism", func(b *GraphBuilder) { b.Vertex("a", 0).Op("x", nil) }},
		{"duplicate vertex", func(b *GraphBuilder) { b.Vertex("a", 1).Op("x", nil); b.Vertex("a", 1).Op("y", nil) }},
		{"cycle", func(b *GraphBuilder) {
			a, c := b.Vertex("a", 1).Op("x", nil), b.Vertex("c", 1).Op("y", nil)
			b.Connect(a, c, ForwardEdge, testSchema())
			b.Connect(c, a, ForwardEdge, testSchema())
		}},
		{"bad event time", func(b *GraphBuilder) {
			b.Connect(b.Vertex("a", 1).Op("x", nil), b.Vertex("b", 1).Op("y", nil), ForwardEdge,
				NewSchema(Col("k", BigInt)).WithEventTime("k"))
		}},
		{"duplicate field", func(b *GraphBuilder) {
			b.Connect(b.Vertex("a", 1).Op("x", nil), b.Vertex("b", 1).Op("y", nil), ForwardEdge,
				NewSchema(Col("k", BigInt), Col("k", Int)))
		}},
		{"unmarshalable config", func(b *GraphBuilder) { b.Vertex("a", 1).Op("x", func() {}) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := NewGraphBuilder(tc.name)
			tc.build(b)
			_, err := b.Build()
			if !errors.Is(err, ErrInvalidGraph) {
				t.Fatalf("Build error = %v, want ErrInvalidGraph", err)
			}
		})
	}
}

func TestGraphErrorIsTyped(t *testing.T) {
	t.Parallel()
	b := NewGraphBuilder("x")
	b.Vertex("a", 0).Op("x", nil)
	_, err := b.Build()
	var ge *GraphError
	if !errors.As(err, &ge) {
		t.Fatalf("error %v is not a *GraphError", err)
	}
	if got, want := ge.Path, `vertex "a"`; got != want {
		t.Fatalf("path = %q, want %q", got, want)
	}
}

func TestDecodeGraphRejects(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		json string
		want error
	}{
		"version":       {`{"version":99,"vertices":[],"edges":[]}`, ErrGraphVersion},
		"unknown field": {`{"version":1,"bogus":1,"vertices":[],"edges":[]}`, ErrInvalidGraph},
		"bad type": {`{"version":1,"vertices":[{"id":"a","parallelism":1,"operators":[{"id":"o","kind":"k"}]}],
			"edges":[{"id":"e","from":"a","to":"a","partitioning":"forward","schema":{"fields":[{"name":"x","type":"DECIMAL(99,1)"}]}}]}`, ErrInvalidType},
		"not json": {`{`, ErrInvalidGraph},
	}
	for name, tc := range cases {
		if _, err := DecodeGraph([]byte(tc.json)); !errors.Is(err, tc.want) {
			t.Fatalf("%s: error = %v, want %v", name, err, tc.want)
		}
	}
}

func TestParseLogicalType(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"int": "INT", "INTEGER": "INT", "varchar(20)": "STRING", "decimal(10, 2)": "DECIMAL(10,2)",
		"DECIMAL": "DECIMAL(10,0)", "timestamp": "TIMESTAMP(3)", "TIMESTAMP_LTZ(3)": "TIMESTAMP_LTZ(3)",
		"timestamp with local time zone": "TIMESTAMP_LTZ(3)", "interval day to second": "INTERVAL DAY TO SECOND",
		"DATE": "DATE", "double precision": "DOUBLE", "boolean": "BOOLEAN",
	}
	for in, want := range cases {
		got, err := ParseLogicalType(in)
		if err != nil {
			t.Fatalf("ParseLogicalType(%q): %v", in, err)
		}
		if got.String() != want {
			t.Fatalf("ParseLogicalType(%q) = %s, want %s", in, got, want)
		}
	}
	for _, bad := range []string{"", "blob", "decimal(x)", "INT(3)", "TIMESTAMP(12)", "decimal(5,6)", "decimal(1"} {
		if _, err := ParseLogicalType(bad); !errors.Is(err, ErrInvalidType) {
			t.Fatalf("ParseLogicalType(%q) error = %v, want ErrInvalidType", bad, err)
		}
	}
	var f Field
	if err := json.Unmarshal([]byte(`{"name":"a","type":"BIGINT","nullable":true}`), &f); err != nil {
		t.Fatalf("unmarshal field: %v", err)
	}
	if f.Type != BigInt || !f.Nullable {
		t.Fatalf("field = %+v", f)
	}
}
