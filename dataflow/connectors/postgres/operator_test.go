package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
)

func TestSinkOperatorConfigErrors(t *testing.T) {
	t.Parallel()
	pools := func(context.Context, string) (*pgxpool.Pool, error) { return nil, errors.New("unused") }
	reg := operator.NewRegistry()
	if err := RegisterSink(reg, pools); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{`{"table":"t","columns":["a"]}`, `{"connection":"c","columns":["a"]}`,
		`{"connection":"c","table":"t"}`, `{"connection":"c","table":"t","columns":["a"],"bogus":1}`} {
		if _, err := reg.New(dataflow.OperatorSpec{ID: "s", Kind: KindSink, Config: []byte(raw)}); !errors.Is(err, operator.ErrConfig) {
			t.Fatalf("config %s: %v, want ErrConfig", raw, err)
		}
	}
	if _, err := NewSinkOperator("s", OperatorConfig{Connection: "c", Table: "t", Columns: []string{"a"}}, nil); !errors.Is(err, operator.ErrConfig) {
		t.Fatalf("no pool provider: %v, want ErrConfig", err)
	}
	// A connection the provider cannot open fails the task when it opens.
	op, err := NewSinkOperator("s", OperatorConfig{Connection: "c", Table: "t", Columns: []string{"a"}}, pools)
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Open(&operator.Context{JobID: "j"}); err == nil {
		t.Fatal("Open with an unavailable connection succeeded")
	}
}
