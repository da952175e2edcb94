package api

import (
	"testing"

	"github.com/flowplane/flowplane/openapi"
)

// TestEveryRequestBodyHasAStrictDecoder keeps bodyTypes in step with the spec.
func TestEveryRequestBodyHasAStrictDecoder(t *testing.T) {
	t.Parallel()
	spec, err := openapi.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil {
				continue
			}
			n++
			if _, ok := bodyType(op.OperationID); !ok {
				t.Fatalf("%s %s (%s) has no entry in bodyTypes", method, path, op.OperationID)
			}
		}
	}
	if n != len(bodyTypes) {
		t.Fatalf("%d operations with a body, %d decoders", n, len(bodyTypes))
	}
}

func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	for body, ok := range map[string]bool{
		`{"name":"abc"}`:          true,
		`{"name":"abc","x":1}`:    false,
		`{"name":"abc"} {"x":1}`:  false,
		`{"name":"abc"} trailing`: false,
		`{"name":"abc"}` + "\n  ": true,
	} {
		if err := decodeStrict("createProject", []byte(body)); (err == nil) != ok {
			t.Fatalf("decodeStrict(%q) = %v", body, err)
		}
	}
}
