package exec

import (
	"context"
	"sync"

	"github.com/flowplane/flowplane/dataflow/runtime"
)

// orderedExchange wraps the in-memory exchange so a writer closes its channel only once the
// reader has opened it: the in-memory exchange forgets a channel whose writer ended before
// its reader opened, losing the end of stream (a source subtask with no rows, e.g. the
// postgres scan's subtasks > 0, can end that early).
type orderedExchange struct {
	*runtime.MemExchange
	mu     sync.Mutex
	opened map[runtime.ChannelID]chan struct{}
}

func newOrderedExchange(credits int) *orderedExchange {
	return &orderedExchange{MemExchange: runtime.NewMemExchange(credits), opened: map[runtime.ChannelID]chan struct{}{}}
}

func (x *orderedExchange) signal(id runtime.ChannelID) chan struct{} {
	x.mu.Lock()
	defer x.mu.Unlock()
	c := x.opened[id]
	if c == nil {
		c = make(chan struct{})
		x.opened[id] = c
	}
	return c
}

func (x *orderedExchange) OpenReader(spec runtime.ChannelSpec, inbox *runtime.Inbox, slot int) (runtime.ChannelReader, error) {
	r, err := x.MemExchange.OpenReader(spec, inbox, slot)
	if err == nil {
		close(x.signal(spec.ID))
	}
	return r, err
}

func (x *orderedExchange) OpenWriter(ctx context.Context, spec runtime.ChannelSpec) (runtime.ChannelWriter, error) {
	w, err := x.MemExchange.OpenWriter(ctx, spec)
	if err != nil {
		return nil, err
	}
	return &orderedWriter{ChannelWriter: w, opened: x.signal(spec.ID)}, nil
}

type orderedWriter struct {
	runtime.ChannelWriter
	opened chan struct{}
}

func (w *orderedWriter) Close(ctx context.Context) error {
	select {
	case <-w.opened:
	case <-ctx.Done():
		return ctx.Err()
	}
	return w.ChannelWriter.Close(ctx)
}
