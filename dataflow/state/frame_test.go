package state

import (
	"bytes"
	"errors"
	"testing"
)

func sampleFrame() []byte {
	return EncodeKeyGroup(nil, &KeyGroupData{KeyGroup: 17, States: []StateData{
		{Name: "v", Kind: KindValue, Entries: []Entry{{Key: []byte("k1"), Fields: [][]byte{{2}}}}},
		{Name: "m", Kind: KindMap, Entries: []Entry{{Key: []byte("k1"), Fields: [][]byte{[]byte("uk"), []byte("val")}}}},
		{Name: "l", Kind: KindList, Entries: []Entry{{Key: []byte{}, Fields: [][]byte{{1}, {2}, {}}}}},
	}})
}

func TestKeyGroupFrameRoundTrip(t *testing.T) {
	t.Parallel()
	frame := sampleFrame()
	d, err := DecodeKeyGroup(frame)
	if err != nil {
		t.Fatal(err)
	}
	if d.KeyGroup != 17 || len(d.States) != 3 || d.States[1].Name != "m" || string(d.States[1].Entries[0].Fields[1]) != "val" {
		t.Fatalf("decoded %+v", d)
	}
	if again := EncodeKeyGroup(nil, d); !bytes.Equal(again, frame) {
		t.Fatalf("re-encoding differs")
	}
}

func TestDecodeKeyGroupRejectsDamage(t *testing.T) {
	t.Parallel()
	frame := sampleFrame()
	for i := range frame {
		bad := bytes.Clone(frame)
		bad[i] ^= 0x41
		if _, err := DecodeKeyGroup(bad); !errors.Is(err, ErrCorruptSnapshot) && !errors.Is(err, ErrSnapshotVersion) {
			t.Fatalf("flipping byte %d: error = %v", i, err)
		}
	}
	for n := range len(frame) {
		if _, err := DecodeKeyGroup(frame[:n]); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
	}
	v2 := bytes.Clone(frame)
	v2[4] = 2
	if _, err := DecodeKeyGroup(v2); !errors.Is(err, ErrSnapshotVersion) {
		t.Fatalf("version 2: error = %v, want ErrSnapshotVersion", err)
	}
}

func FuzzDecodeKeyGroup(f *testing.F) {
	f.Add(sampleFrame())
	f.Add([]byte("FPKG\x01"))
	f.Add(EncodeKeyGroup(nil, &KeyGroupData{}))
	f.Add(EncodeKeyGroup(nil, &KeyGroupData{KeyGroup: 127, States: []StateData{{Name: "x", Kind: KindMap}}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := DecodeKeyGroup(data)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to the same bytes.
		if again := EncodeKeyGroup(nil, d); !bytes.Equal(again, data) {
			t.Fatalf("decode/encode not an identity")
		}
	})
}

func FuzzRestore(f *testing.F) {
	b, _ := NewSubtaskBackend(DefaultMaxParallelism, 1, 0)
	v, _ := NewValueState(b, "v", Int64Codec{})
	m, _ := NewMapState(b, "m", StringCodec{})
	for i := range 20 {
		g, k := keyOf(b, i)
		v.Put(g, k, int64(i))
		m.Put(g, k, k, "x")
	}
	f.Add(b.Snapshot().Encode())
	f.Add([]byte("FPSS\x01\x80\x01\x00\x80\x01\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dst, _ := NewSubtaskBackend(DefaultMaxParallelism, 2, 1)
		_, _ = NewValueState(dst, "v", Int64Codec{})
		_ = dst.Restore(data)
	})
}
