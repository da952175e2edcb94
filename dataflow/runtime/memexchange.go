package runtime

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowplane/flowplane/dataflow/batch"
)

// DefaultCredits is the number of batches a consumer grants each channel up front: the bound on
// batches in flight per channel.
const DefaultCredits = 4

// MemExchange connects subtasks of one process in memory, with the same credit-based flow
// control as the TCP exchange: a producer may have at most Credits unconsumed batches per
// channel. It ignores peer addresses and tokens (both ends live in the same worker).
type MemExchange struct {
	credits  int
	mu       sync.Mutex
	chans    map[ChannelID]*memChannel
	inFlight atomic.Int64
}

// NewMemExchange returns an in-memory exchange granting credits batches per channel
// (DefaultCredits when credits < 1).
func NewMemExchange(credits int) *MemExchange {
	if credits < 1 {
		credits = DefaultCredits
	}
	return &MemExchange{credits: credits, chans: make(map[ChannelID]*memChannel)}
}

// InFlight returns the batches written and not yet consumed, over all channels.
func (x *MemExchange) InFlight() int64 { return x.inFlight.Load() }

type memChannel struct {
	x       *MemExchange
	id      ChannelID
	mu      sync.Mutex
	signal  chan struct{}
	credits int
	inbox   *Inbox
	slot    int
	pending []Event // events written before the reader registered
	writer  bool
	reader  bool
	closed  bool // the reader closed: writes fail
}

func (x *MemExchange) channel(id ChannelID) *memChannel {
	x.mu.Lock()
	defer x.mu.Unlock()
	c := x.chans[id]
	if c == nil {
		c = &memChannel{x: x, id: id, signal: make(chan struct{}, 1)}
		x.chans[id] = c
	}
	return c
}

func (x *MemExchange) forget(c *memChannel) {
	x.mu.Lock()
	defer x.mu.Unlock()
	c.mu.Lock()
	// A channel whose writer ended before its reader opened keeps its events (the end of
	// stream, or the failure the reader must see) until the reader comes.
	unused := !c.writer && !c.reader && (c.closed || len(c.pending) == 0)
	c.mu.Unlock()
	if unused && x.chans[c.id] == c {
		delete(x.chans, c.id)
	}
}

// OpenWriter opens the producing end of id.
func (x *MemExchange) OpenWriter(_ context.Context, spec ChannelSpec) (ChannelWriter, error) {
	c := x.channel(spec.ID)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writer {
		return nil, ErrChannelClosed
	}
	c.writer = true
	return &memWriter{c: c}, nil
}

// OpenReader opens the consuming end of id and grants the initial credits.
func (x *MemExchange) OpenReader(spec ChannelSpec, inbox *Inbox, slot int) (ChannelReader, error) {
	c := x.channel(spec.ID)
	c.mu.Lock()
	if c.reader || c.closed {
		c.mu.Unlock()
		return nil, ErrChannelClosed
	}
	c.reader, c.inbox, c.slot = true, inbox, slot
	for _, ev := range c.pending {
		ev.Slot = slot
		inbox.Push(ev)
	}
	c.pending = nil
	c.credits += x.credits
	c.mu.Unlock()
	c.wake()
	return &memReader{c: c}, nil
}

func (c *memChannel) wake() {
	select {
	case c.signal <- struct{}{}:
	default:
	}
}

func (c *memChannel) deliver(ev Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrChannelClosed
	}
	if c.inbox == nil {
		c.pending = append(c.pending, ev)
		return nil
	}
	ev.Slot = c.slot
	c.inbox.Push(ev)
	return nil
}

type memWriter struct {
	c    *memChannel
	done bool
}

func (w *memWriter) AwaitCredit(ctx context.Context) error {
	for {
		w.c.mu.Lock()
		if w.c.closed {
			w.c.mu.Unlock()
			return ErrChannelClosed
		}
		if w.c.credits > 0 {
			w.c.credits--
			w.c.mu.Unlock()
			return nil
		}
		w.c.mu.Unlock()
		select {
		case <-w.c.signal:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (w *memWriter) WriteBatch(_ context.Context, rec arrow.RecordBatch) (int64, error) {
	rec.Retain()
	if err := w.c.deliver(Event{Kind: EventData, Batch: rec}); err != nil {
		rec.Release()
		return 0, err
	}
	w.c.x.inFlight.Add(1)
	return batch.Size(rec), nil
}

func (w *memWriter) WriteWatermark(_ context.Context, wm int64) error {
	return w.c.deliver(Event{Kind: EventWatermark, Value: wm})
}

func (w *memWriter) WriteBarrier(_ context.Context, id uint64) error {
	return w.c.deliver(Event{Kind: EventBarrier, Value: int64(id)})
}

func (w *memWriter) Close(context.Context) error {
	if w.done {
		return nil
	}
	err := w.c.deliver(Event{Kind: EventEnd})
	w.release()
	return err
}

func (w *memWriter) Abort() {
	if w.done {
		return
	}
	_ = w.c.deliver(Event{Kind: EventFailed, Err: ErrUpstreamFailed})
	w.release()
}

func (w *memWriter) release() {
	if w.done {
		return
	}
	w.done = true
	w.c.mu.Lock()
	w.c.writer = false
	w.c.mu.Unlock()
	w.c.x.forget(w.c)
}

type memReader struct {
	c    *memChannel
	done bool
}

func (r *memReader) Decode(*Event) (arrow.RecordBatch, error) { return nil, ErrChannelClosed }

func (r *memReader) Ack(n int) {
	r.c.x.inFlight.Add(-int64(n))
	r.c.mu.Lock()
	r.c.credits += n
	r.c.mu.Unlock()
	r.c.wake()
}

func (r *memReader) Close() {
	if r.done {
		return
	}
	r.done = true
	r.c.mu.Lock()
	r.c.closed, r.c.reader = true, false
	pending := r.c.pending
	r.c.pending = nil
	r.c.mu.Unlock()
	for _, ev := range pending {
		if ev.Batch != nil {
			ev.Batch.Release()
		}
	}
	r.c.wake()
	r.c.x.forget(r.c)
}
