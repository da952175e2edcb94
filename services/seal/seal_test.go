package seal_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/flowplane/flowplane/services/seal"
)

func TestSealOpenRoundTripAndBinding(t *testing.T) {
	t.Parallel()
	s, err := seal.Parse(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal([]byte("hunter2"), []byte("int_1"))
	if bytes.Contains(sealed, []byte("hunter2")) {
		t.Fatalf("plaintext visible in sealed value")
	}
	got, err := s.Open(sealed, []byte("int_1"))
	if err != nil || string(got) != "hunter2" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := s.Open(sealed, []byte("int_2")); !errors.Is(err, seal.ErrCorrupt) {
		t.Fatalf("Open with other aad = %v, want ErrCorrupt", err)
	}
	other, _ := seal.Parse(seal.GenerateKey())
	if _, err := other.Open(sealed, []byte("int_1")); !errors.Is(err, seal.ErrCorrupt) {
		t.Fatalf("Open under other key = %v, want ErrCorrupt", err)
	}
}

func TestParseRejectsBadKeys(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"", "short", "!!!!"} {
		if _, err := seal.Parse(k); !errors.Is(err, seal.ErrBadKey) {
			t.Fatalf("Parse(%q) = %v, want ErrBadKey", k, err)
		}
	}
}

func TestKeyFileIsCreatedOnceAndReused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	a, err := seal.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := seal.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Open(a.Seal([]byte("x"), nil), nil)
	if err != nil || string(got) != "x" {
		t.Fatalf("second load opened %q, %v", got, err)
	}
}
