package exec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/state"
)

// Keyed state of sql.window_aggregate: value state "windows" holds, per group key (in the key
// group its rows are routed by), the key's open panes with their accumulators (SESSION panes:
// their rows); value state "watermark" holds, per key group, the watermark the operator had
// reached, so a restored subtask drops rows of windows fired before the checkpoint as late
// instead of firing them a second time, even for key groups it inherited from another subtask.

// windowState is what windowAgg keeps for checkpoints.
type windowState struct {
	ks       *keyedStore
	wmState  *state.ValueState[int64]
	hashKeys []int   // the columns the edge into the operator hashes
	floor    []int64 // restored watermark per key group of the range (nil: none)
}

// Open registers the keyed state and loads the windows restored into it.
func (w *windowAgg) Open(ctx *operator.Context) error {
	if err := w.aggBase.Open(ctx); err != nil {
		return err
	}
	var err error
	if w.st.ks, err = openKeyedStore(ctx, "windows"); err != nil || w.st.ks == nil {
		return err
	}
	win := w.cfg.Window
	for _, k := range w.cfg.Keys {
		if k != win.StartKey && k != win.EndKey {
			w.st.hashKeys = append(w.st.hashKeys, k)
		}
	}
	if len(w.st.hashKeys) == 0 && win.Kind != "SESSION" {
		w.st.hashKeys = []int{win.StartKey, win.EndKey}
	}
	if w.st.wmState, err = state.NewValueState(ctx.State, "watermark", state.Int64Codec{}); err != nil {
		return err
	}
	rng := ctx.State.Range()
	for kg := rng.Start; kg < rng.End; kg++ {
		if wm, ok := w.st.wmState.Get(kg, nil); ok {
			if w.st.floor == nil {
				w.st.floor = make([]int64, rng.Len())
				for i := range w.st.floor {
					w.st.floor[i] = operator.MinWatermark
				}
			}
			w.st.floor[kg-rng.Start] = wm
		}
	}
	return w.st.ks.load(func(k string, v []byte) error {
		g, err := w.decodeWindows(v)
		if err != nil {
			return fmt.Errorf("restore window aggregate: %w", err)
		}
		for _, p := range g.windows {
			w.minEnd = min(w.minEnd, p.end)
		}
		w.groups[k] = g
		return nil
	})
}

// RestoreState takes the output schema from the first non-empty operator state.
func (w *windowAgg) RestoreState(in io.Reader) (err error) {
	if w.out != nil {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: window aggregate schema: %v", errCorruptState, p)
		}
	}()
	data, err := io.ReadAll(in)
	if err != nil || len(data) == 0 {
		return err
	}
	rd, err := ipc.NewReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%w: window aggregate schema: %w", errCorruptState, err)
	}
	defer rd.Release()
	w.out = rd.Schema()
	return nil
}

// lateRestored reports whether a window ending at end had fired, before the checkpoint the
// operator was restored from, in the key group of row r.
func (w *windowAgg) lateRestored(end int64, r int) bool {
	if w.st.floor == nil {
		return false
	}
	return end-1 <= w.st.floor[int(w.st.ks.hashes[r])-w.st.ks.backend.Range().Start]
}

// SnapshotState writes the keys whose windows changed since the last barrier, and the
// watermark per key group, back to keyed state. Its operator state is the output schema (an
// Arrow IPC stream without batches), so a restored subtask can fire restored windows before
// any new row arrives.
func (w *windowAgg) SnapshotState(_ uint64, out io.Writer) error {
	if w.st.ks == nil {
		return nil
	}
	if out != nil && w.out != nil && len(w.groups) > 0 {
		iw := ipc.NewWriter(out, ipc.WithSchema(w.out))
		if err := iw.Close(); err != nil {
			return err
		}
	}
	err := w.st.ks.flush(func(k string) ([]byte, bool, error) {
		g, ok := w.groups[k]
		if !ok || len(g.windows) == 0 {
			return nil, false, nil
		}
		v, err := w.encodeWindows(g)
		return v, err == nil, err
	})
	if err != nil || w.cfg.Window.ProcTime {
		return err
	}
	rng := w.st.ks.backend.Range()
	for kg := rng.Start; kg < rng.End; kg++ {
		wm := w.wm
		if w.st.floor != nil {
			wm = max(wm, w.st.floor[kg-rng.Start])
		}
		if wm != operator.MinWatermark {
			w.st.wmState.Put(kg, nil, wm)
		}
	}
	return nil
}

// encodeWindows encodes a key and its panes: start, end, then the rows of a SESSION pane or
// the accumulators of another.
func (w *windowAgg) encodeWindows(g *windowGroup) ([]byte, error) {
	b, err := appendRowState(nil, g.key)
	if err != nil {
		return nil, err
	}
	b = binary.AppendUvarint(b, uint64(len(g.windows)))
	for _, p := range g.windows {
		b = binary.AppendVarint(binary.AppendVarint(b, p.start), p.end)
		b = append(b, boolByte(p.accs == nil))
		if p.accs == nil {
			b = binary.AppendUvarint(b, uint64(len(p.rows)))
			for _, row := range p.rows {
				if b, err = appendRowState(b, row); err != nil {
					return nil, err
				}
			}
			continue
		}
		for _, a := range p.accs {
			if b, err = appendAccState(b, a); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

func (w *windowAgg) decodeWindows(data []byte) (*windowGroup, error) {
	r := &stateReader{b: data}
	g := &windowGroup{key: r.row()}
	n := r.uvarint()
	for i := uint64(0); i < n && r.err == nil; i++ {
		p := &pane{start: r.varint(), end: r.varint()}
		if len(r.b) == 0 {
			r.fail()
			break
		}
		rows := r.b[0] == 1
		r.b = r.b[1:]
		if rows {
			m := r.uvarint()
			for j := uint64(0); j < m && r.err == nil; j++ {
				p.rows = append(p.rows, r.row())
			}
		} else {
			p.accs = w.newWindowAccs()
			for _, a := range p.accs {
				readAccState(r, a)
			}
		}
		g.windows = append(g.windows, p)
	}
	return g, r.end()
}
