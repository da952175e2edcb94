package exchange

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"github.com/flowplane/flowplane/dataflow/runtime"
)

var sampleChan = runtime.ChannelID{Job: "job-7", Attempt: 3, Edge: 1, From: 2, To: 5}

func sampleFrames() []Frame {
	wm := binary.BigEndian.AppendUint64(nil, 12345)
	return []Frame{
		{Type: FrameHello, Payload: []byte("127.0.0.1:7100")},
		{Type: FrameHelloAck, Payload: []byte{1, 0, 0, 0, 0, 0, 0, 0, 9}},
		{Type: FrameOpen, Chan: sampleChan, Payload: AttemptToken([]byte("s"), "job-7", 3)},
		{Type: FrameCredit, Chan: sampleChan, Payload: []byte{0, 0, 0, 4}},
		{Type: FrameData, Chan: sampleChan, Payload: []byte("batch bytes")},
		{Type: FrameWatermark, Chan: sampleChan, Payload: wm},
		{Type: FrameBarrier, Chan: sampleChan, Payload: wm},
		{Type: FrameEnd, Chan: sampleChan, Payload: []byte{}},
		{Type: FrameRefuse, Chan: sampleChan, Payload: []byte{RefuseFenced, 'n', 'o'}},
	}
}

func TestFrameRoundTrip(t *testing.T) {
	t.Parallel()
	var stream []byte
	for _, f := range sampleFrames() {
		var err error
		if stream, err = AppendFrame(stream, f); err != nil {
			t.Fatalf("AppendFrame(%s): %v", f.Type, err)
		}
	}
	r := bytes.NewReader(stream)
	var buf []byte
	for _, want := range sampleFrames() {
		got, n, err := DecodeFrame(stream, DefaultMaxFrame)
		if err != nil {
			t.Fatalf("DecodeFrame(%s): %v", want.Type, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded %+v, want %+v", got, want)
		}
		stream = stream[n:]
		var rf Frame
		rf, buf, err = ReadFrame(r, buf, DefaultMaxFrame)
		if err != nil || !reflect.DeepEqual(rf, want) {
			t.Fatalf("ReadFrame = %+v, %v; want %+v", rf, err, want)
		}
	}
}

func TestDecodeFrameRejects(t *testing.T) {
	t.Parallel()
	good, _ := AppendFrame(nil, sampleFrames()[3])
	if _, _, err := DecodeFrame(good[:len(good)-1], DefaultMaxFrame); !errors.Is(err, ErrShortFrame) {
		t.Fatalf("truncated: %v, want ErrShortFrame", err)
	}
	if _, _, err := DecodeFrame(good, 10); !errors.Is(err, ErrBadFrame) {
		t.Fatalf("over max: %v, want ErrBadFrame", err)
	}
	bad := bytes.Clone(good)
	bad[4] = 99 // type
	if _, _, err := DecodeFrame(bad, DefaultMaxFrame); !errors.Is(err, ErrBadFrame) {
		t.Fatalf("unknown type: %v, want ErrBadFrame", err)
	}
	bad = bytes.Clone(good)
	bad[5] = 200 // job length beyond the frame
	if _, _, err := DecodeFrame(bad, DefaultMaxFrame); !errors.Is(err, ErrBadFrame) {
		t.Fatalf("job overrun: %v, want ErrBadFrame", err)
	}
	zero, _ := AppendFrame(nil, Frame{Type: FrameCredit, Chan: sampleChan, Payload: []byte{0, 0, 0, 0}})
	if _, _, err := DecodeFrame(zero, DefaultMaxFrame); !errors.Is(err, ErrBadFrame) {
		t.Fatalf("zero credit: %v, want ErrBadFrame", err)
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, fr := range sampleFrames() {
		b, err := AppendFrame(nil, fr)
		if err != nil {
			f.Fatalf("AppendFrame: %v", err)
		}
		f.Add(b)
	}
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, n, err := DecodeFrame(b, 1<<20)
		if err != nil {
			if !errors.Is(err, ErrShortFrame) && !errors.Is(err, ErrBadFrame) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if n < lenSize+fixedHeader || n > len(b) {
			t.Fatalf("consumed %d of %d bytes", n, len(b))
		}
		// A decoded frame re-encodes to the same bytes.
		again, err := AppendFrame(nil, fr)
		if err != nil || !bytes.Equal(again, b[:n]) {
			t.Fatalf("re-encoding differs: %x vs %x (%v)", again, b[:n], err)
		}
	})
}
