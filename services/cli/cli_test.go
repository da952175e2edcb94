package cli_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/flowplane/flowplane/services/cli"
)

type fake struct {
	status int
	body   string
}

func (f fake) StatusCode() int { return f.status }
func (f fake) GetBody() []byte { return []byte(f.body) }

func TestRenderTableAndJSON(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	r := fake{200, `{"items":[{"id":"prj_1","name":"acme","n":3},{"id":"prj_2","name":"beta"}],"next_cursor":"abc"}`}
	if err := cli.Render(&out, r, nil, "table", "name", "id", "n"); err != nil {
		t.Fatal(err)
	}
	want := "NAME  ID     N\nacme  prj_1  3\nbeta  prj_2  -\n(more: --cursor abc)\n"
	if out.String() != want {
		t.Fatalf("table:\n%s\nwant\n%s", out.String(), want)
	}
	out.Reset()
	if err := cli.Render(&out, fake{201, `{"id":"x"}`}, nil, "json"); err != nil || out.String() != "{\n  \"id\": \"x\"\n}\n" {
		t.Fatalf("json = %q %v", out.String(), err)
	}
}

func TestRenderProblemIsError(t *testing.T) {
	t.Parallel()
	err := cli.Render(&bytes.Buffer{}, fake{404, `{"code":"not_found","detail":"project \"x\" not found","request_id":"r1"}`}, nil, "table")
	var ce *cli.Error
	if !errors.As(err, &ce) || ce.Code != "not_found" || !strings.Contains(err.Error(), "request r1") {
		t.Fatalf("err = %v", err)
	}
}
