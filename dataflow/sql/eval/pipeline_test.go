package eval

import (
	"encoding/json"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow/connectors/nexmark"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// TestNexmarkCalc compiles Nexmark q1, q2 and q22, decodes their sql.calc operators and runs them
// on generated bids: the planner's configs, the evaluator and the generator fit together.
func TestNexmarkCalc(t *testing.T) {
	t.Parallel()
	for _, q := range []string{"q1", "q2", "q22"} {
		src, err := os.ReadFile("../testdata/nexmark_" + q + ".sql")
		if err != nil {
			t.Fatal(err)
		}
		g, diags := sql.Compile(string(src), sql.CompileOptions{})
		if len(diags) > 0 {
			t.Fatalf("%s: %v", q, diags)
		}
		var raw struct {
			Condition  json.RawMessage   `json:"condition"`
			Projection []json.RawMessage `json:"projection"`
		}
		for _, op := range g.Vertices[0].Operators {
			if op.Kind == sql.KindCalc {
				if err := json.Unmarshal(op.Config, &raw); err != nil {
					t.Fatal(err)
				}
			}
		}
		var cond *Expr
		if raw.Condition != nil {
			if cond, err = Decode(raw.Condition, Env{}); err != nil {
				t.Fatal(err)
			}
		}
		proj := make([]*Expr, len(raw.Projection))
		for i, p := range raw.Projection {
			if proj[i], err = Decode(p, Env{}); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		gen, err := nexmark.NewStream(nexmark.Config{Seed: 1}, nexmark.KindBid, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		kept := 0
		for range 2000 {
			ev, _ := gen.Next()
			row := ev.Row()
			for i, v := range row {
				if tm, ok := v.(time.Time); ok {
					row[i] = tm.UnixMilli()
				}
			}
			if cond != nil {
				ok, err := cond.Eval(row)
				if err != nil {
					t.Fatal(err)
				}
				if ok != true {
					continue
				}
			}
			kept++
			out := make([]any, len(proj))
			for i, p := range proj {
				if out[i], err = p.Eval(row); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			switch q {
			case "q1":
				want := new(big.Rat).Mul(big.NewRat(908, 1000), new(big.Rat).SetInt64(ev.Bid.Price))
				if out[2].(*big.Rat).Cmp(want) != 0 {
					t.Fatalf("q1 price %v, want %v", out[2], want)
				}
			case "q2":
				if ev.Bid.Auction%123 != 0 {
					t.Fatalf("q2 kept auction %d", ev.Bid.Auction)
				}
			}
		}
		if q == "q2" && (kept == 0 || kept == 2000) {
			t.Fatalf("q2 kept %d of 2000 bids", kept)
		}
	}
}
