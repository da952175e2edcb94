package exchange

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/flowplane/flowplane/dataflow/runtime"
)

// FrameType is the type of a frame.
type FrameType uint8

// Frame types.
const (
	FrameHello     FrameType = iota + 1 // dialer -> acceptor: payload = hello
	FrameHelloAck                       // acceptor -> dialer: payload = u8 1 accepted / 0 duplicate, u64 instance
	FrameOpen                           // producer -> consumer: payload = attempt token
	FrameCredit                         // consumer -> producer: payload = u32 buffers granted
	FrameData                           // producer -> consumer: payload = encoded batch
	FrameWatermark                      // producer -> consumer: payload = i64 watermark
	FrameBarrier                        // producer -> consumer: payload = u64 checkpoint id
	FrameEnd                            // producer -> consumer: end of stream, no payload
	FrameRefuse                         // consumer -> producer: payload = u8 reason, then text
)

func (t FrameType) String() string {
	names := [...]string{"?", "hello", "hello-ack", "open", "credit", "data", "watermark", "barrier", "end", "refuse"}
	if int(t) < len(names) {
		return names[t]
	}
	return fmt.Sprintf("frame(%d)", t)
}

// Refuse reasons.
const (
	RefuseFenced byte = 1 // wrong attempt or token
	RefuseClosed byte = 2 // the consumer is gone
)

// Frame decoding errors.
var (
	// ErrShortFrame: more bytes are needed to decode a frame.
	ErrShortFrame = errors.New("short frame")
	// ErrBadFrame: the bytes are not a valid frame; the connection must be dropped.
	ErrBadFrame = errors.New("malformed frame")
)

const (
	lenSize = 4
	// fixed header after the length: type, job length, then attempt, edge, from, to
	fixedHeader = 1 + 1 + 8 + 4 + 4 + 4
	// MaxJobIDLen is the longest job id a frame can carry.
	MaxJobIDLen = 255
	// DefaultMaxFrame is the default limit of a frame's size.
	DefaultMaxFrame = 64 << 20
	maxRefuseText   = 1024
)

// Frame is one message on a connection. For data frames Payload is the encoded batch.
type Frame struct {
	Type    FrameType
	Chan    runtime.ChannelID
	Payload []byte
}

// AppendFrameHeader appends the header of a frame with payloadLen payload bytes to dst.
func AppendFrameHeader(dst []byte, t FrameType, ch runtime.ChannelID, payloadLen int) []byte {
	body := fixedHeader + len(ch.Job) + payloadLen
	dst = binary.BigEndian.AppendUint32(dst, uint32(body))
	dst = append(dst, byte(t), byte(len(ch.Job)))
	dst = append(dst, ch.Job...)
	dst = binary.BigEndian.AppendUint64(dst, ch.Attempt)
	dst = binary.BigEndian.AppendUint32(dst, ch.Edge)
	dst = binary.BigEndian.AppendUint32(dst, ch.From)
	return binary.BigEndian.AppendUint32(dst, ch.To)
}

// AppendFrame appends the encoding of f to dst. Job ids longer than MaxJobIDLen are an error.
func AppendFrame(dst []byte, f Frame) ([]byte, error) {
	if len(f.Chan.Job) > MaxJobIDLen {
		return dst, fmt.Errorf("%w: job id longer than %d bytes", ErrBadFrame, MaxJobIDLen)
	}
	dst = AppendFrameHeader(dst, f.Type, f.Chan, len(f.Payload))
	return append(dst, f.Payload...), nil
}

// DecodeFrame decodes the frame at the start of b and returns it with the number of bytes it
// used. It returns ErrShortFrame when b holds an incomplete frame and an error wrapping
// ErrBadFrame when the bytes are invalid; it never panics. Payload aliases b.
func DecodeFrame(b []byte, maxFrame int) (Frame, int, error) {
	if len(b) < lenSize {
		return Frame{}, 0, ErrShortFrame
	}
	n := int(binary.BigEndian.Uint32(b))
	if n < fixedHeader || n > maxFrame {
		return Frame{}, 0, fmt.Errorf("%w: frame length %d not in %d..%d", ErrBadFrame, n, fixedHeader, maxFrame)
	}
	if len(b) < lenSize+n {
		return Frame{}, 0, ErrShortFrame
	}
	f, err := decodeBody(b[lenSize : lenSize+n])
	return f, lenSize + n, err
}

// ReadFrame reads one frame from r into buf (grown as needed) and returns the frame, which
// aliases the returned buffer. The body is placed so that the payload starts 8-byte aligned
// (relative to the buffer), letting decoded Arrow buffers point into it.
func ReadFrame(r io.Reader, buf []byte, maxFrame int) (Frame, []byte, error) {
	var head [lenSize + 2]byte
	if _, err := io.ReadFull(r, head[:lenSize]); err != nil {
		return Frame{}, buf, err
	}
	n := int(binary.BigEndian.Uint32(head[:]))
	if n < fixedHeader || n > maxFrame {
		return Frame{}, buf, fmt.Errorf("%w: frame length %d not in %d..%d", ErrBadFrame, n, fixedHeader, maxFrame)
	}
	if _, err := io.ReadFull(r, head[lenSize:]); err != nil {
		return Frame{}, buf, unexpected(err)
	}
	shift := (8 - (fixedHeader+int(head[lenSize+1]))%8) % 8
	if cap(buf) < shift+n {
		buf = make([]byte, shift+n)
	}
	buf = buf[:shift+n]
	copy(buf[shift:], head[lenSize:])
	if _, err := io.ReadFull(r, buf[shift+2:]); err != nil {
		return Frame{}, buf, unexpected(err)
	}
	f, err := decodeBody(buf[shift:])
	return f, buf, err
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func decodeBody(b []byte) (Frame, error) {
	var f Frame
	f.Type = FrameType(b[0])
	jobLen := int(b[1])
	if len(b) < fixedHeader+jobLen {
		return Frame{}, fmt.Errorf("%w: job id of %d bytes overruns the frame", ErrBadFrame, jobLen)
	}
	b = b[2:]
	f.Chan.Job = string(b[:jobLen])
	b = b[jobLen:]
	f.Chan.Attempt = binary.BigEndian.Uint64(b)
	f.Chan.Edge = binary.BigEndian.Uint32(b[8:])
	f.Chan.From = binary.BigEndian.Uint32(b[12:])
	f.Chan.To = binary.BigEndian.Uint32(b[16:])
	f.Payload = b[20:]
	if err := checkPayload(f); err != nil {
		return Frame{}, err
	}
	return f, nil
}

func checkPayload(f Frame) error {
	size, exact := 0, true
	switch f.Type {
	case FrameHelloAck:
		size = 9
	case FrameCredit:
		size = 4
	case FrameWatermark, FrameBarrier:
		size = 8
	case FrameEnd:
		size = 0
	case FrameHello, FrameOpen, FrameData:
		exact = false
	case FrameRefuse:
		if len(f.Payload) < 1 || len(f.Payload) > 1+maxRefuseText {
			return fmt.Errorf("%w: refuse payload of %d bytes", ErrBadFrame, len(f.Payload))
		}
		exact = false
	default:
		return fmt.Errorf("%w: unknown type %d", ErrBadFrame, f.Type)
	}
	if exact && len(f.Payload) != size {
		return fmt.Errorf("%w: %s payload of %d bytes, want %d", ErrBadFrame, f.Type, len(f.Payload), size)
	}
	if f.Type == FrameCredit && binary.BigEndian.Uint32(f.Payload) == 0 {
		return fmt.Errorf("%w: zero credit", ErrBadFrame)
	}
	return nil
}
