package runtime

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/batch"
	"github.com/flowplane/flowplane/dataflow/operator"
)

// KeyGroups is the number of key groups hash partitioning maps keys to; a consumer subtask owns
// a contiguous range of them, so keyed state can later be redistributed at another parallelism.
const KeyGroups = 128

// KeyGroupOwner returns the subtask, of parallelism n, owning the key group of hash h.
func KeyGroupOwner(h uint64, n int) int { return int((h % KeyGroups) * uint64(n) / KeyGroups) }

// outputs is the last emitter of a chain: it routes batches to the output edges' writers.
type outputs struct {
	r     *runner
	edges []*edgeOutput
	wm    int64
}

type edgeOutput struct {
	index   int
	edge    dataflow.Edge
	peers   []string
	writers []ChannelWriter
	arrow   *arrow.Schema // the edge schema
	checked *arrow.Schema // the last emitted schema found to have its layout (keys resolved)
	rr      int
	keys    []int // Hash: the key columns' indices in checked
	hashes  []uint64
	sel     [][]int32
}

func newOutputs(r *runner) *outputs {
	o := &outputs{r: r, wm: operator.MinWatermark}
	g := r.t.spec.Graph
	for _, ei := range g.Outputs(r.t.vertex.ID) {
		e := g.Edges[ei]
		o.edges = append(o.edges, &edgeOutput{index: ei, edge: e, peers: r.t.spec.Placement[e.To]})
	}
	return o
}

func (o *outputs) open(ctx context.Context) error {
	spec := o.r.t.spec
	for _, e := range o.edges {
		schema, err := batch.ArrowSchema(e.edge.Schema)
		if err != nil {
			return fmt.Errorf("output edge %q: %w", e.edge.ID, err)
		}
		e.arrow = schema
		for to, peer := range e.peers {
			if e.edge.Partitioning == dataflow.Forward && to != spec.Subtask {
				continue
			}
			id := ChannelID{Job: spec.JobID, Attempt: spec.Attempt, Edge: uint32(e.index), From: uint32(spec.Subtask), To: uint32(to)}
			w, err := o.r.t.deps.Exchange.OpenWriter(ctx, ChannelSpec{ID: id, Peer: peer, Token: spec.Token, Schema: schema})
			if err != nil {
				return fmt.Errorf("open output %s: %w", id, err)
			}
			e.writers = append(e.writers, w)
		}
		e.sel = make([][]int32, len(e.writers))
	}
	return nil
}

// Emit routes rec to the output channels.
func (o *outputs) Emit(rec arrow.RecordBatch) error {
	if rec.NumRows() == 0 || len(o.edges) == 0 {
		return nil // a sink's output goes nowhere
	}
	o.r.t.metrics.recordsOut.Add(rec.NumRows())
	for _, e := range o.edges {
		if rec.Schema() != e.checked {
			if err := e.check(rec.Schema()); err != nil {
				return fmt.Errorf("edge %q: %w", e.edge.ID, err)
			}
		}
		var err error
		switch e.edge.Partitioning {
		case dataflow.Forward:
			err = o.write(e.writers[0], rec)
		case dataflow.Rebalance:
			err = o.write(e.writers[e.rr%len(e.writers)], rec)
			e.rr++
		case dataflow.Broadcast:
			for _, w := range e.writers {
				if err = o.write(w, rec); err != nil {
					break
				}
			}
		case dataflow.Hash:
			err = o.writeHashed(e, rec)
		}
		if err != nil {
			return fmt.Errorf("edge %q: %w", e.edge.ID, err)
		}
	}
	return nil
}

// check verifies that an emitted schema has the edge's layout and, for a Hash edge, finds its
// key columns in it; then it remembers the schema so later batches of it skip the check.
func (e *edgeOutput) check(schema *arrow.Schema) error {
	if err := batch.SameLayout(e.arrow, schema); err != nil {
		return err
	}
	if e.edge.Partitioning == dataflow.Hash {
		e.keys = e.keys[:0]
		for _, k := range e.edge.Keys {
			idx := schema.FieldIndices(k)
			if len(idx) == 0 {
				return fmt.Errorf("hash key %q not in emitted batch", k)
			}
			e.keys = append(e.keys, idx[0])
		}
	}
	e.checked = schema
	return nil
}

func (o *outputs) writeHashed(e *edgeOutput, rec arrow.RecordBatch) error {
	n := int(rec.NumRows())
	if cap(e.hashes) < n {
		e.hashes = make([]uint64, n)
	}
	e.hashes = e.hashes[:n]
	if err := batch.HashRows(rec, e.keys, e.hashes); err != nil {
		return err
	}
	for i := range e.sel {
		e.sel[i] = e.sel[i][:0]
	}
	for row, h := range e.hashes {
		to := KeyGroupOwner(h, len(e.writers))
		e.sel[to] = append(e.sel[to], int32(row))
	}
	for to, sel := range e.sel {
		switch len(sel) {
		case 0:
			continue
		case n:
			return o.write(e.writers[to], rec)
		}
		part, err := batch.Take(o.r.t.deps.Allocator, rec, sel)
		if err != nil {
			return err
		}
		err = o.write(e.writers[to], part)
		part.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

func (o *outputs) write(w ChannelWriter, rec arrow.RecordBatch) error {
	m := o.r.t.metrics
	start := m.beginWait(&m.bpSince)
	err := w.AwaitCredit(o.r.ctx)
	m.endWait(&m.bpSince, &m.backpressured, start)
	if err != nil {
		return err
	}
	n, err := w.WriteBatch(o.r.ctx, rec)
	o.r.t.metrics.bytesOut.Add(n)
	return err
}

// EmitWatermark forwards a rising watermark to every output channel.
func (o *outputs) EmitWatermark(wm int64) error {
	if wm <= o.wm {
		return nil
	}
	o.wm = wm
	o.r.t.metrics.watermark.Store(wm)
	for _, e := range o.edges {
		for _, w := range e.writers {
			if err := w.WriteWatermark(o.r.ctx, wm); err != nil {
				return fmt.Errorf("edge %q: %w", e.edge.ID, err)
			}
		}
	}
	return nil
}

// barrier sends checkpoint barrier id on every output channel, after the batches emitted
// before it.
func (o *outputs) barrier(id uint64) error {
	for _, e := range o.edges {
		for _, w := range e.writers {
			if err := w.WriteBarrier(o.r.ctx, id); err != nil {
				return fmt.Errorf("edge %q: barrier %d: %w", e.edge.ID, id, err)
			}
		}
	}
	return nil
}

func (o *outputs) close(ctx context.Context) error {
	for _, e := range o.edges {
		for i, w := range e.writers {
			if err := w.Close(ctx); err != nil {
				return fmt.Errorf("edge %q: close: %w", e.edge.ID, err)
			}
			e.writers[i] = nil
		}
		e.writers = e.writers[:0]
	}
	return nil
}

func (o *outputs) abort() {
	for _, e := range o.edges {
		for _, w := range e.writers {
			if w != nil {
				w.Abort()
			}
		}
	}
}
