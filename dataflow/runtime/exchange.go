package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Exchange errors, shared by every Exchange implementation.
var (
	// ErrPeerLost: the connection carrying a channel broke; the task fails so the scheduler can
	// fail the job over.
	ErrPeerLost = errors.New("exchange peer connection lost")
	// ErrFenced: the peer refused the channel because it belongs to another job attempt or its
	// token does not authenticate the attempt.
	ErrFenced = errors.New("exchange channel fenced: wrong attempt or token")
	// ErrChannelClosed: the channel was used after Close or its exchange shut down.
	ErrChannelClosed = errors.New("exchange channel closed")
	// ErrUpstreamFailed: the producer of an input channel failed (it aborted the channel).
	ErrUpstreamFailed = errors.New("upstream task failed")
)

// ChannelID names one channel of a job attempt: the rows of edge Edge (its index in
// JobGraph.Edges) from producer subtask From to consumer subtask To.
type ChannelID struct {
	Job     string
	Attempt uint64
	Edge    uint32
	From    uint32
	To      uint32
}

func (c ChannelID) String() string {
	return fmt.Sprintf("%s/%d/e%d/%d->%d", c.Job, c.Attempt, c.Edge, c.From, c.To)
}

// ChannelSpec describes one end of a channel. Peer is the data address of the worker running
// the other end; Token is the attempt token (presented by producers, expected by consumers);
// Schema is the Arrow schema of the edge: consumers decode with it instead of trusting the
// peer's, and producers check that their batches match it.
type ChannelSpec struct {
	ID     ChannelID
	Peer   string
	Token  []byte
	Schema *arrow.Schema
}

// Exchange moves batches between subtasks: in memory within a worker, over TCP between workers.
// workers/exchange.Node implements it; MemExchange is the in-memory one used inside a Node and
// in single-process tests.
type Exchange interface {
	// OpenWriter opens the producing end of a channel.
	OpenWriter(ctx context.Context, spec ChannelSpec) (ChannelWriter, error)
	// OpenReader opens the consuming end of a channel: its events are pushed into inbox tagged
	// with slot.
	OpenReader(spec ChannelSpec, inbox *Inbox, slot int) (ChannelReader, error)
}

// ChannelWriter is the producing end of a channel. It is used by one goroutine.
type ChannelWriter interface {
	// AwaitCredit blocks until the consumer has granted a buffer for one more batch; the time
	// spent here is the producer's backpressured time.
	AwaitCredit(ctx context.Context) error
	// WriteBatch sends rec, using the credit AwaitCredit waited for, and returns its wire size.
	// It borrows rec.
	WriteBatch(ctx context.Context, rec arrow.RecordBatch) (int64, error)
	// WriteWatermark and WriteBarrier send control events; they need no credit.
	WriteWatermark(ctx context.Context, wm int64) error
	WriteBarrier(ctx context.Context, checkpoint uint64) error
	// Close sends end-of-stream and releases the writer.
	Close(ctx context.Context) error
	// Abort releases the writer after a failure: the consumer's input fails with
	// ErrUpstreamFailed instead of waiting for an end of stream that will not come.
	Abort()
}

// ChannelReader is the consuming end of a channel; its events arrive in the Inbox it was opened on.
type ChannelReader interface {
	// Decode turns the payload of a data event into a batch the caller owns.
	Decode(ev *Event) (arrow.RecordBatch, error)
	// Ack returns n credits to the producer after n data events were consumed.
	Ack(n int)
	// Close unregisters the reader and releases what it holds.
	Close()
}

// EventKind is the type of an inbox event.
type EventKind uint8

// The kinds of inbox events.
const (
	EventData EventKind = iota + 1
	EventWatermark
	EventBarrier
	EventEnd
	EventFailed
	// Control events of the task itself (Slot < 0), not of a channel.
	eventTrigger  // Value: checkpoint id to inject (sources)
	eventComplete // Value: completed checkpoint id
	eventPersisted
)

// Event is one thing that arrived on an input channel. A data event carries either Batch (in
// memory) or Payload (encoded, decoded by the slot's ChannelReader).
type Event struct {
	Slot    int
	Kind    EventKind
	Batch   arrow.RecordBatch
	Payload []byte
	Frame   []byte // the buffer Payload points into, recycled by the reader (remote data only)
	Value   int64  // watermark or checkpoint id
	Err     error  // for EventFailed
}

// Inbox is the single queue a subtask reads all its input channels from, so one goroutine can
// wait on any number of channels. Its length is bounded by the credits of its channels plus
// their control events, so Push never blocks.
type Inbox struct {
	mu     sync.Mutex
	queue  []Event
	signal chan struct{}
}

// NewInbox returns an empty inbox.
func NewInbox() *Inbox { return &Inbox{signal: make(chan struct{}, 1)} }

// Push appends an event and wakes the reader.
func (b *Inbox) Push(ev Event) {
	b.mu.Lock()
	b.queue = append(b.queue, ev)
	b.mu.Unlock()
	select {
	case b.signal <- struct{}{}:
	default:
	}
}

// Wait returns the queued events (appended to buf), blocking until there is one, the context
// ends or the timeout passes (then it returns no events and a nil error).
func (b *Inbox) Wait(ctx context.Context, buf []Event, timeout time.Duration) ([]Event, error) {
	for {
		n := len(buf)
		if buf = b.take(buf); len(buf) > n {
			return buf, nil
		}
		timer := time.NewTimer(timeout)
		select {
		case <-b.signal:
			timer.Stop()
		case <-timer.C:
			return buf, nil
		case <-ctx.Done():
			timer.Stop()
			return buf, ctx.Err()
		}
	}
}

// take appends the queued events to buf without blocking.
func (b *Inbox) take(buf []Event) []Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		return buf
	}
	buf = append(buf, b.queue...)
	clear(b.queue)
	b.queue = b.queue[:0]
	return buf
}

// Drain removes and returns every queued event (used at shutdown to release batches).
func (b *Inbox) Drain() []Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := append([]Event(nil), b.queue...)
	b.queue = nil
	return out
}
