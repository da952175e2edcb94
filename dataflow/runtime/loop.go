package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/batch"
	"github.com/flowplane/flowplane/dataflow/operator"
)

// runner is the state of a task's goroutine.
type runner struct {
	t        *Task
	ctx      context.Context
	inbox    *Inbox
	slots    []*inputSlot
	emitters []operator.Emitter // emitters[i] receives ops[i]'s output
	out      *outputs
	wm       int64 // combined input watermark passed to ops[0]
	opened   int   // operators opened so far

	// Checkpoints. While aligning barrier `aligning`, the inputs that delivered it are blocked:
	// their later events wait in queued (per slot, in order) until every input has delivered
	// it. lastBarrier is the newest checkpoint snapshotted, lastComplete the newest notified.
	aligning     uint64
	alignStart   time.Time
	blocked      []bool
	queued       [][]Event
	nQueued      int
	lastBarrier  uint64
	lastComplete uint64
}

// inputSlot is one input channel of the task.
type inputSlot struct {
	id     ChannelID
	input  int // the edge's input number at this vertex
	reader ChannelReader
	wm     int64
	last   time.Time
	idle   bool
	ended  bool
}

// chainEmitter feeds an operator's output to the next operator of the chain.
type chainEmitter struct {
	next operator.Operator
	out  operator.Emitter
}

func (c chainEmitter) Emit(rec arrow.RecordBatch) error { return c.next.ProcessBatch(0, rec, c.out) }
func (c chainEmitter) EmitWatermark(wm int64) error     { return c.next.ProcessWatermark(wm, c.out) }

func (t *Task) run(ctx context.Context) {
	r := &runner{t: t, ctx: ctx, inbox: t.inbox, wm: operator.MinWatermark}
	err := r.setup()
	if err == nil {
		if len(r.slots) == 0 {
			err = r.runSource()
		} else {
			err = r.runInputs()
		}
	}
	if err == nil {
		err = r.finishChain()
	}
	if ctx.Err() != nil {
		err = ctx.Err() // stopped: errors caused by the shutdown itself are not failures
	}
	r.teardown(err)
	t.finish(err)
}

func (r *runner) setup() error {
	t := r.t
	g := t.spec.Graph
	r.out = newOutputs(r)
	for _, ei := range g.Inputs(t.vertex.ID) {
		e := g.Edges[ei]
		from, _ := g.Vertex(e.From)
		schema, err := batch.ArrowSchema(e.Schema)
		if err != nil {
			return fmt.Errorf("input edge %q: %w", e.ID, err)
		}
		for p := range from.Parallelism {
			if e.Partitioning == dataflow.Forward && p != t.spec.Subtask {
				continue
			}
			id := ChannelID{Job: t.spec.JobID, Attempt: t.spec.Attempt, Edge: uint32(ei), From: uint32(p), To: uint32(t.spec.Subtask)}
			spec := ChannelSpec{ID: id, Peer: t.spec.Placement[e.From][p], Token: t.spec.Token, Schema: schema}
			reader, err := t.deps.Exchange.OpenReader(spec, r.inbox, len(r.slots))
			if err != nil {
				return fmt.Errorf("open input %s: %w", id, err)
			}
			r.slots = append(r.slots, &inputSlot{id: id, input: e.Input, reader: reader, wm: operator.MinWatermark, last: time.Now()})
		}
	}
	if err := r.out.open(r.ctx); err != nil {
		return err
	}
	n := len(t.ops)
	r.emitters = make([]operator.Emitter, n)
	r.emitters[n-1] = r.out
	for i := n - 2; i >= 0; i-- {
		r.emitters[i] = chainEmitter{next: t.ops[i+1], out: r.emitters[i+1]}
	}
	r.blocked = make([]bool, len(r.slots))
	r.queued = make([][]Event, len(r.slots))
	if err := r.restore(r.ctx); err != nil {
		return err
	}
	for i, op := range t.ops {
		octx := &operator.Context{
			Allocator: t.deps.Allocator, Logger: t.log, JobID: t.spec.JobID, Vertex: t.vertex.ID,
			Operator: t.vertex.Operators[i].ID, Subtask: t.spec.Subtask, Parallelism: t.vertex.Parallelism,
			Attempt: t.spec.Attempt, State: t.backends[i], Ctx: r.ctx, Restored: r.lastComplete,
		}
		if err := op.Open(octx); err != nil {
			return fmt.Errorf("open operator %q: %w", t.vertex.Operators[i].ID, err)
		}
		r.opened++
	}
	return nil
}

func (r *runner) runSource() error {
	src := r.t.ops[0].(operator.Source)
	var buf []Event
	for r.ctx.Err() == nil {
		buf = r.inbox.take(buf[:0])
		for i := range buf {
			if err := r.control(&buf[i]); err != nil {
				return err
			}
		}
		err := src.Poll(r.ctx, r.emitters[0])
		if errors.Is(err, operator.ErrEndOfInput) {
			r.t.metrics.inWatermark.Store(operator.MaxWatermark)
			return r.emitters[0].EmitWatermark(operator.MaxWatermark)
		}
		if err != nil {
			return err
		}
	}
	return r.ctx.Err()
}

func (r *runner) runInputs() error {
	idleTimeout := r.t.deps.IdleTimeout
	tick := time.Second
	if idleTimeout > 0 {
		tick = min(max(idleTimeout/4, time.Millisecond), time.Second)
	}
	var buf []Event
	for !r.allEnded() {
		m := r.t.metrics
		start := m.beginWait(&m.idleSince)
		var err error
		buf, err = r.inbox.Wait(r.ctx, buf[:0], tick)
		m.endWait(&m.idleSince, &m.idleNanos, start)
		if err != nil {
			return err
		}
		for i := range buf {
			err := r.dispatch(&buf[i])
			buf[i] = Event{}
			if err == nil && r.nQueued > 0 {
				err = r.drain()
			}
			if err != nil {
				for _, ev := range buf[i+1:] {
					releaseEvent(ev)
				}
				return err
			}
		}
		if idleTimeout > 0 {
			now := time.Now()
			for _, s := range r.slots {
				if !s.ended && !s.idle && now.Sub(s.last) > idleTimeout {
					s.idle = true
				}
			}
		}
		if err := r.advanceWatermark(); err != nil {
			return err
		}
	}
	return nil
}

func releaseEvent(ev Event) {
	if ev.Batch != nil {
		ev.Batch.Release()
	}
}

func (r *runner) handle(ev *Event) error {
	s := r.slots[ev.Slot]
	switch ev.Kind {
	case EventData:
		s.last, s.idle = time.Now(), false
		rec := ev.Batch
		if rec == nil {
			var err error
			if rec, err = s.reader.Decode(ev); err != nil {
				return fmt.Errorf("input %s: %w", s.id, err)
			}
			r.t.metrics.bytesIn.Add(int64(len(ev.Payload)))
		} else {
			r.t.metrics.bytesIn.Add(batch.Size(rec))
		}
		r.t.metrics.recordsIn.Add(rec.NumRows())
		err := r.t.ops[0].ProcessBatch(s.input, rec, r.emitters[0])
		rec.Release()
		s.reader.Ack(1)
		return err
	case EventWatermark:
		s.last, s.idle = time.Now(), false
		s.wm = max(s.wm, ev.Value)
	case EventBarrier:
		return r.onBarrier(ev.Slot, uint64(ev.Value))
	case EventEnd:
		s.ended = true
		if r.aligning != 0 && r.aligned() {
			return r.alignDone()
		}
	case EventFailed:
		return fmt.Errorf("input %s: %w", s.id, ev.Err)
	}
	return nil
}

func (r *runner) allEnded() bool {
	for _, s := range r.slots {
		if !s.ended {
			return false
		}
	}
	return true
}

// advanceWatermark passes the minimum watermark over the active inputs to the chain when it
// rises. Idle inputs do not count; when every input has ended the watermark is MaxWatermark.
func (r *runner) advanceWatermark() error {
	wm, active := operator.MaxWatermark, false
	for _, s := range r.slots {
		if s.ended || s.idle {
			continue
		}
		active = true
		wm = min(wm, s.wm)
	}
	if !active && !r.allEnded() {
		return nil
	}
	if wm <= r.wm {
		return nil
	}
	r.wm = wm
	r.t.metrics.inWatermark.Store(wm)
	return r.t.ops[0].ProcessWatermark(wm, r.emitters[0])
}

// finishChain runs Finish on every operator in chain order, then ends the output channels.
func (r *runner) finishChain() error {
	for i, op := range r.t.ops {
		if err := op.Finish(r.emitters[i]); err != nil {
			return fmt.Errorf("finish operator %q: %w", r.t.vertex.Operators[i].ID, err)
		}
	}
	return r.out.close(r.ctx)
}

func (r *runner) teardown(err error) {
	if err != nil {
		r.out.abort()
	}
	for _, s := range r.slots {
		s.reader.Close()
	}
	for _, ev := range r.inbox.Drain() {
		releaseEvent(ev)
	}
	for _, q := range r.queued {
		for _, ev := range q {
			releaseEvent(ev)
		}
	}
	for i := range r.opened {
		if cerr := r.t.ops[i].Close(); cerr != nil {
			r.t.log.Warn("operator close failed", "operator", r.t.vertex.Operators[i].ID, "err", cerr)
		}
	}
}
