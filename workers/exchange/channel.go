package exchange

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowplane/flowplane/dataflow/batch"
	"github.com/flowplane/flowplane/dataflow/runtime"
)

func (n *Node) isLocal(peer string) bool { return peer == "" || peer == n.addr }

// noteAttempt records that this node runs tasks of job's attempt and returns the newest attempt.
func (n *Node) noteAttemptLocked(job string, attempt uint64) uint64 {
	if attempt > n.latest[job] {
		n.latest[job] = attempt
	}
	return n.latest[job]
}

// OpenWriter implements runtime.Exchange: channels to the local node stay in memory, others
// are opened on the connection to peer with the attempt token.
func (n *Node) OpenWriter(ctx context.Context, id runtime.ChannelID, peer string, token []byte) (runtime.ChannelWriter, error) {
	if n.isLocal(peer) {
		return n.local.OpenWriter(ctx, id, peer, token)
	}
	n.mu.Lock()
	n.noteAttemptLocked(id.Job, id.Attempt)
	n.mu.Unlock()
	c, err := n.getConn(ctx, peer)
	if err != nil {
		return nil, err
	}
	w := &remoteWriter{c: c, id: id, n: n, signal: make(chan struct{}, 1)}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return nil, c.err
	}
	if c.writers[id] != nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("%w: channel %s already open", runtime.ErrChannelClosed, id)
	}
	c.writers[id] = w
	c.mu.Unlock()
	if err := c.sendControl(FrameOpen, id, token); err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

// OpenReader implements runtime.Exchange.
func (n *Node) OpenReader(id runtime.ChannelID, peer string, token []byte, inbox *runtime.Inbox, slot int) (runtime.ChannelReader, error) {
	if n.isLocal(peer) {
		return n.local.OpenReader(id, peer, token, inbox, slot)
	}
	r := &remoteReader{n: n, id: id, token: append([]byte(nil), token...), inbox: inbox, slot: slot,
		dec: batch.NewDecoder(nil)}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil, ErrNodeClosed
	}
	if n.readers[id] != nil {
		n.mu.Unlock()
		return nil, fmt.Errorf("%w: channel %s already has a reader", runtime.ErrChannelClosed, id)
	}
	latest := n.noteAttemptLocked(id.Job, id.Attempt)
	n.readers[id] = r
	po, found := n.pending[id]
	delete(n.pending, id)
	var stale []pendingOpen
	var staleIDs []runtime.ChannelID
	for pid, p := range n.pending {
		if pid.Job == id.Job && pid.Attempt < latest {
			stale, staleIDs = append(stale, p), append(staleIDs, pid)
			delete(n.pending, pid)
		}
	}
	n.mu.Unlock()
	for i, p := range stale {
		_ = p.c.sendControl(FrameRefuse, staleIDs[i], append([]byte{RefuseFenced}, "attempt superseded"...))
	}
	if found {
		n.bind(r, po.c, po.token)
	}
	return r, nil
}

// handleOpen answers a producer's open: bind it to the registered reader, park it until the
// reader registers, or refuse it when it is fenced.
func (n *Node) handleOpen(c *conn, id runtime.ChannelID, token []byte) {
	n.mu.Lock()
	if n.latest[id.Job] > id.Attempt {
		n.mu.Unlock()
		_ = c.sendControl(FrameRefuse, id, append([]byte{RefuseFenced}, "attempt superseded"...))
		return
	}
	r := n.readers[id]
	if r == nil {
		n.pending[id] = pendingOpen{c: c, token: token}
		n.mu.Unlock()
		return
	}
	n.mu.Unlock()
	n.bind(r, c, token)
}

func (n *Node) bind(r *remoteReader, c *conn, token []byte) {
	if !tokensEqual(r.token, token) {
		n.log.Warn("exchange channel refused: bad attempt token", "job", r.id.Job, "channel", r.id.String(), "peer", c.peer)
		_ = c.sendControl(FrameRefuse, r.id, append([]byte{RefuseFenced}, "bad attempt token"...))
		return
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		_ = c.sendControl(FrameRefuse, r.id, []byte{RefuseClosed})
		return
	}
	r.c = c
	r.mu.Unlock()
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		r.connLost(c, err)
		return
	}
	c.inbound[r.id] = r
	c.mu.Unlock()
	_ = c.sendControl(FrameCredit, r.id, binary.BigEndian.AppendUint32(nil, uint32(n.cfg.Credits)))
}

// remoteWriter is the producing end of a channel to another worker.
type remoteWriter struct {
	n        *Node
	c        *conn
	id       runtime.ChannelID
	mu       sync.Mutex
	credits  int
	accepted bool
	err      error
	signal   chan struct{}
	enc      *batch.Encoder
	done     bool
}

func (w *remoteWriter) wake() {
	select {
	case w.signal <- struct{}{}:
	default:
	}
}

func (w *remoteWriter) grant(k int) {
	w.mu.Lock()
	w.credits += k
	w.accepted = true
	w.mu.Unlock()
	w.wake()
}

func (w *remoteWriter) refuse(reason byte, text string) {
	err := fmt.Errorf("%w: %s: %s", runtime.ErrChannelClosed, w.id, text)
	if reason == RefuseFenced {
		err = fmt.Errorf("%w: %s: %s", runtime.ErrFenced, w.id, text)
	}
	w.fail(err)
}

func (w *remoteWriter) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
	w.wake()
}

// wait blocks until cond holds (under w.mu) or the writer failed.
func (w *remoteWriter) wait(ctx context.Context, cond func() bool) error {
	for {
		w.mu.Lock()
		if w.err != nil {
			err := w.err
			w.mu.Unlock()
			return err
		}
		if cond() {
			w.mu.Unlock()
			return nil
		}
		w.mu.Unlock()
		select {
		case <-w.signal:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (w *remoteWriter) AwaitCredit(ctx context.Context) error {
	return w.wait(ctx, func() bool {
		if w.credits > 0 {
			w.credits--
			return true
		}
		return false
	})
}

func (w *remoteWriter) WriteBatch(_ context.Context, rec arrow.RecordBatch) (int64, error) {
	if w.enc == nil {
		w.enc = batch.NewEncoder(rec.Schema(), w.n.cfg.Allocator)
	}
	// The frame is the header and IPC metadata in a pooled buffer followed by rec's own
	// buffers, written with one writev: the batch's data is not copied on the way out.
	head := AppendFrameHeader(getBuf(), FrameData, w.id, 0)
	head, segs, err := w.enc.AppendEncodeGather(head, rec)
	if err != nil {
		putBuf(head)
		return 0, err
	}
	size := 0
	for _, s := range segs {
		size += len(s)
	}
	if size > w.n.cfg.MaxFrame {
		putBuf(head)
		return 0, fmt.Errorf("batch of %d bytes exceeds the %d byte frame limit", size, w.n.cfg.MaxFrame)
	}
	binary.BigEndian.PutUint32(head, uint32(size-lenSize))
	rec.Retain() // released by the write loop once written
	return int64(size), w.c.send(outFrame{buf: head, segs: segs, rec: rec, size: size})
}

func (w *remoteWriter) isAccepted() bool { return w.accepted }

func (w *remoteWriter) WriteWatermark(ctx context.Context, wm int64) error {
	if err := w.wait(ctx, w.isAccepted); err != nil {
		return err
	}
	return w.c.sendControl(FrameWatermark, w.id, binary.BigEndian.AppendUint64(nil, uint64(wm)))
}

func (w *remoteWriter) WriteBarrier(ctx context.Context, checkpoint uint64) error {
	if err := w.wait(ctx, w.isAccepted); err != nil {
		return err
	}
	return w.c.sendControl(FrameBarrier, w.id, binary.BigEndian.AppendUint64(nil, checkpoint))
}

func (w *remoteWriter) Close(ctx context.Context) error {
	err := w.wait(ctx, w.isAccepted)
	if err == nil {
		err = w.c.sendControl(FrameEnd, w.id, nil)
	}
	w.Abort()
	return err
}

func (w *remoteWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.c.mu.Lock()
	if w.c.writers[w.id] == w {
		delete(w.c.writers, w.id)
	}
	w.c.mu.Unlock()
	if w.enc != nil {
		w.enc.Close()
	}
}

// remoteReader is the consuming end of a channel from another worker.
type remoteReader struct {
	n      *Node
	id     runtime.ChannelID
	token  []byte
	inbox  *runtime.Inbox
	slot   int
	dec    *batch.Decoder
	mu     sync.Mutex
	c      *conn
	closed bool
}

func (r *remoteReader) push(ev runtime.Event) {
	ev.Slot = r.slot
	r.inbox.Push(ev)
}

func (r *remoteReader) connLost(c *conn, err error) {
	r.mu.Lock()
	bound := r.c == c && !r.closed
	r.mu.Unlock()
	if bound {
		r.push(runtime.Event{Kind: runtime.EventFailed, Err: err})
	}
}

func (r *remoteReader) Decode(ev *runtime.Event) (arrow.RecordBatch, error) {
	// The batch points into the frame (zero-copy); the frame returns to the pool when the
	// batch is released.
	frame := ev.Frame
	rec, err := r.dec.DecodeOwned(ev.Payload, func() { putBuf(frame) })
	r.n.rxBuffer.Add(-int64(len(ev.Payload)))
	return rec, err
}

func (r *remoteReader) Ack(k int) {
	r.mu.Lock()
	c := r.c
	r.mu.Unlock()
	if c != nil {
		_ = c.sendControl(FrameCredit, r.id, binary.BigEndian.AppendUint32(nil, uint32(k)))
	}
}

func (r *remoteReader) Close() {
	r.n.mu.Lock()
	if r.n.readers[r.id] == r {
		delete(r.n.readers, r.id)
	}
	r.n.mu.Unlock()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	c := r.c
	r.c = nil
	r.mu.Unlock()
	if c != nil {
		c.mu.Lock()
		if c.inbound[r.id] == r {
			delete(c.inbound, r.id)
		}
		c.mu.Unlock()
		_ = c.sendControl(FrameRefuse, r.id, []byte{RefuseClosed})
	}
	r.dec.Close()
}
