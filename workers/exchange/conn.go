package exchange

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/flowplane/flowplane/dataflow/runtime"
)

// conn is the one connection between this node and a peer worker, shared by every channel
// between them. One goroutine writes queued frames (many per syscall), one reads and dispatches.
type conn struct {
	n            *Node
	nc           net.Conn
	peer         string
	instance     uint64
	dialedByPeer bool

	mu      sync.Mutex
	queue   []outFrame
	signal  chan struct{}
	writers map[runtime.ChannelID]*remoteWriter
	inbound map[runtime.ChannelID]*remoteReader
	err     error
	done    chan struct{}
}

func newConn(n *Node, nc net.Conn, peer string, instance uint64, dialedByPeer bool) *conn {
	return &conn{
		n: n, nc: nc, peer: peer, instance: instance, dialedByPeer: dialedByPeer,
		signal: make(chan struct{}, 1), done: make(chan struct{}),
		writers: make(map[runtime.ChannelID]*remoteWriter), inbound: make(map[runtime.ChannelID]*remoteReader),
	}
}

func (c *conn) start() {
	c.n.wg.Add(2)
	go c.writeLoop()
	go c.readLoop()
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func getBuf() []byte { return (*bufPool.Get().(*[]byte))[:0] }

func putBuf(b []byte) {
	if cap(b) > 0 && cap(b) <= 16<<20 {
		bufPool.Put(&b)
	}
}

// outFrame is a frame queued for writing: buf alone, or segs (slices of buf and of rec's
// buffers, which rec keeps alive until written).
type outFrame struct {
	buf  []byte
	segs [][]byte
	rec  arrow.RecordBatch
	size int
}

func (f outFrame) done() {
	putBuf(f.buf)
	if f.rec != nil {
		f.rec.Release()
	}
}

// send queues a frame; the write loop owns it (and releases it) from here.
func (c *conn) send(f outFrame) error {
	if f.segs == nil {
		f.size = len(f.buf)
	}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		f.done()
		return c.err
	}
	c.queue = append(c.queue, f)
	c.n.txQueue.Add(int64(f.size))
	c.mu.Unlock()
	select {
	case c.signal <- struct{}{}:
	default:
	}
	return nil
}

func (c *conn) sendControl(t FrameType, id runtime.ChannelID, payload []byte) error {
	buf, err := AppendFrame(getBuf(), Frame{Type: t, Chan: id, Payload: payload})
	if err != nil {
		return err
	}
	return c.send(outFrame{buf: buf})
}

func (c *conn) writeLoop() {
	defer c.n.wg.Done()
	var batch []outFrame
	var vec net.Buffers
	for {
		select {
		case <-c.signal:
		case <-c.done:
			return
		}
		c.mu.Lock()
		batch, c.queue = c.queue, batch[:0]
		c.mu.Unlock()
		if len(batch) == 0 {
			continue
		}
		var size int64
		vec = vec[:0]
		for _, f := range batch {
			size += int64(f.size)
			if f.segs != nil {
				vec = append(vec, f.segs...)
			} else {
				vec = append(vec, f.buf)
			}
		}
		bufs := vec // WriteTo consumes its receiver
		_, err := bufs.WriteTo(c.nc)
		c.n.txQueue.Add(-size)
		for i, f := range batch {
			f.done()
			batch[i] = outFrame{}
		}
		clear(vec)
		if err != nil {
			c.fail(err)
			return
		}
	}
}

func (c *conn) readLoop() {
	defer c.n.wg.Done()
	// A small buffer batches control frames; large payloads are read straight into their frame.
	br := bufio.NewReaderSize(c.nc, 32<<10)
	for {
		f, buf, err := ReadFrame(br, getBuf(), c.n.cfg.MaxFrame)
		if err != nil {
			putBuf(buf)
			c.fail(err)
			return
		}
		kept, err := c.dispatch(f, buf)
		if !kept {
			putBuf(buf)
		}
		if err != nil {
			c.fail(err)
			return
		}
	}
}

// dispatch handles a frame; kept reports whether its buffer now belongs to a reader.
func (c *conn) dispatch(f Frame, buf []byte) (kept bool, err error) {
	switch f.Type {
	case FrameOpen:
		c.n.handleOpen(c, f.Chan, append([]byte(nil), f.Payload...))
	case FrameCredit, FrameRefuse:
		c.mu.Lock()
		w := c.writers[f.Chan]
		c.mu.Unlock()
		if w == nil {
			return false, nil // the writer is gone already
		}
		if f.Type == FrameCredit {
			w.grant(int(binary.BigEndian.Uint32(f.Payload)))
		} else {
			w.refuse(f.Payload[0], string(f.Payload[1:]))
		}
	case FrameData, FrameWatermark, FrameBarrier, FrameEnd:
		c.mu.Lock()
		r := c.inbound[f.Chan]
		c.mu.Unlock()
		if r == nil {
			return false, nil // the reader closed; late frames are dropped
		}
		ev := runtime.Event{Kind: runtime.EventEnd}
		switch f.Type {
		case FrameData:
			ev = runtime.Event{Kind: runtime.EventData, Payload: f.Payload, Frame: buf}
			c.n.rxBuffer.Add(int64(len(f.Payload)))
			kept = true
		case FrameWatermark:
			ev = runtime.Event{Kind: runtime.EventWatermark, Value: int64(binary.BigEndian.Uint64(f.Payload))}
		case FrameBarrier:
			ev = runtime.Event{Kind: runtime.EventBarrier, Value: int64(binary.BigEndian.Uint64(f.Payload))}
		}
		r.push(ev)
	default:
		return false, fmt.Errorf("%w: unexpected %s frame on an established connection", ErrBadFrame, f.Type)
	}
	return kept, nil
}

// fail breaks the connection: every channel on it fails with ErrPeerLost.
func (c *conn) fail(cause error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = fmt.Errorf("%w: %s: %w", runtime.ErrPeerLost, c.peer, cause)
	writers, inbound := c.writers, c.inbound
	c.writers, c.inbound = map[runtime.ChannelID]*remoteWriter{}, map[runtime.ChannelID]*remoteReader{}
	for _, f := range c.queue {
		c.n.txQueue.Add(-int64(f.size))
		f.done()
	}
	c.queue = nil
	c.mu.Unlock()
	close(c.done)
	_ = c.nc.Close()
	c.n.removeConn(c)
	c.n.log.Info("exchange connection lost", "peer", c.peer, "err", cause, "channels", len(writers)+len(inbound))
	for _, w := range writers {
		w.fail(c.err)
	}
	for _, r := range inbound {
		r.connLost(c, c.err)
	}
}
