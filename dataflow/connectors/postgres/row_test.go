package postgres

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func samplePending() []pendingCommit {
	ts := time.Unix(1700000000, 123).UTC()
	return []pendingCommit{
		{checkpoint: 3, rows: []Row{{Kind: Insert, Values: []any{nil, true, false, int64(-5), 2.5, "s", []byte{1, 2}, ts}}}},
		{checkpoint: 9, rows: []Row{{Kind: Delete, Values: []any{"k"}}, {Kind: UpdateAfter, Values: []any{}}}},
	}
}

func TestPendingRoundTrip(t *testing.T) {
	t.Parallel()
	in := samplePending()
	b := encodePending(in)
	out, err := decodePending(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encodePending(out), b) {
		t.Fatalf("round trip differs")
	}
	if got := out[0].rows[0].Values[7].(time.Time); !got.Equal(in[0].rows[0].Values[7].(time.Time)) {
		t.Fatalf("time = %v", got)
	}
}

func TestDecodePendingRejectsDamage(t *testing.T) {
	t.Parallel()
	b := encodePending(samplePending())
	for i := range b {
		bad := bytes.Clone(b)
		bad[i] ^= 0x10
		if _, err := decodePending(bad); !errors.Is(err, ErrCorruptState) {
			t.Fatalf("flip at %d: %v, want ErrCorruptState", i, err)
		}
	}
}

func FuzzDecodePending(f *testing.F) {
	f.Add(encodePending(samplePending()))
	f.Add(encodePending(nil))
	f.Add([]byte("FPSK\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := decodePending(data)
		if err != nil {
			return
		}
		if !bytes.Equal(encodePending(p), data) {
			t.Fatalf("decode/encode not an identity")
		}
	})
}
