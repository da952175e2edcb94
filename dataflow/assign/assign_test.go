package assign_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/assign"
)

func TestRegisterValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		reg  assign.Register
		ok   bool
	}{
		{"ok", assign.Register{Slots: 2, DataAddr: "127.0.0.1:7000"}, true},
		{"no slots", assign.Register{DataAddr: "127.0.0.1:7000"}, false},
		{"too many slots", assign.Register{Slots: 5000, DataAddr: "127.0.0.1:7000"}, false},
		{"no data addr", assign.Register{Slots: 1}, false},
	}
	for _, c := range cases {
		err := c.reg.Validate()
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, assign.ErrInvalid)) {
			t.Errorf("%s: Validate() = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

func TestSetRoundTrip(t *testing.T) {
	t.Parallel()
	b := dataflow.NewGraphBuilder("count")
	b.Vertex("src", 1).Op("sequence", map[string]any{"rows": 10})
	g, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	in := assign.Set{Index: 7, Known: true, Tasks: []assign.Task{{
		ID: assign.TaskID("job_1", 3, "src", 0), JobID: "job_1", Attempt: 3, Vertex: "src", Graph: g,
		Placement: map[dataflow.VertexID][]string{"src": {"127.0.0.1:7000"}}, Token: []byte{1, 2},
	}}}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var out assign.Set
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if out.Index != 7 || len(out.Tasks) != 1 || out.Tasks[0].ID != "job_1/3/src/0" ||
		out.Tasks[0].Graph.Vertices[0].ID != "src" || string(out.Tasks[0].Token) != string([]byte{1, 2}) {
		t.Errorf("round trip = %+v", out)
	}
}

func TestIntegrationNeverPrintsItsSecret(t *testing.T) {
	t.Parallel()
	in := assign.Integration{ID: "int_1", Type: "postgres", Config: map[string]any{"host": "db"}, Secret: map[string]string{"password": "pw-xyz"}}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "integration", in)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "integration", in)
	fmt.Fprintf(&buf, "%v %+v %s", in, in, in)
	if strings.Contains(buf.String(), "pw-xyz") || !strings.Contains(buf.String(), "integration int_1 (postgres)") {
		t.Fatalf("printed: %s", buf.String())
	}
}
