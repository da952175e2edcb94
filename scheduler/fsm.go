package scheduler

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
)

// FSM is the replicated scheduling state: a go-memdb database that Raft entries mutate, one
// applier per command type. Reads take a snapshot-isolated transaction and may watch for change.
type FSM struct {
	mu      sync.RWMutex // guards db and abandon (swapped by Restore)
	db      *memdb.MemDB
	abandon chan struct{} // closed when Restore replaces db, waking every watcher
	index   atomic.Uint64 // the last applied Raft index

	chMu    sync.Mutex
	changed chan struct{} // closed and replaced after every applied entry and restore
}

// Changed returns a channel closed at the next change of the state.
func (f *FSM) Changed() <-chan struct{} {
	f.chMu.Lock()
	defer f.chMu.Unlock()
	return f.changed
}

func (f *FSM) broadcast() {
	f.chMu.Lock()
	close(f.changed)
	f.changed = make(chan struct{})
	f.chMu.Unlock()
}

// NewFSM returns an empty FSM.
func NewFSM() *FSM {
	return &FSM{db: newDB(), abandon: make(chan struct{}), changed: make(chan struct{})}
}

// Result is what Apply returns for a command: its value, or the business failure.
type Result struct {
	Value any
	Err   error
	// Replayed is true when the command id had been applied before: nothing changed.
	Replayed bool
}

// applyCtx is what an applier sees.
type applyCtx struct {
	txn   *memdb.Txn
	index uint64
	at    int64
}

type applier func(c *applyCtx, body json.RawMessage) (any, error)

// appliers is the table of one applier per command (filled in apply_*.go init).
var appliers = map[CommandType]applier{}

// Apply applies one log entry. An undecodable entry panics with *UndecodablePanic.
func (f *FSM) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	defer func() {
		f.index.Store(l.Index)
		f.broadcast()
	}()
	t, env, err := decodeEntry(l.Data)
	if err != nil {
		panic(&UndecodablePanic{Index: l.Index, Err: err})
	}
	db := f.current()
	txn := db.Txn(true)
	defer txn.Abort()
	if raw, _ := txn.First(tableApplied, "id", env.ID); raw != nil {
		a := raw.(*applied)
		return Result{Replayed: true, Err: codeError(a.Code, a.Msg)}
	}
	val, err := f.run(t, &applyCtx{txn: txn, index: l.Index, at: env.At}, env.Body, l.Index)
	if err != nil {
		txn.Abort() // a business failure changes nothing but the record of the command
		txn = db.Txn(true)
		defer txn.Abort()
	}
	code, msg := errorCode(err)
	mustInsert(txn, tableApplied, &applied{ID: env.ID, Index: l.Index, Code: code, Msg: msg})
	pruneApplied(txn, l.Index)
	txn.Commit()
	return Result{Value: val, Err: err}
}

// run calls the applier; a body its applier cannot decode is undecodable too.
func (f *FSM) run(t CommandType, c *applyCtx, body json.RawMessage, index uint64) (any, error) {
	val, err := appliers[t](c, body)
	var de *decodeError
	if errors.As(err, &de) {
		panic(&UndecodablePanic{Index: index, Err: fmt.Errorf("%w: %w", ErrUndecodable, de.err)})
	}
	return val, err
}

type decodeError struct{ err error }

func (e *decodeError) Error() string { return e.err.Error() }

// decodeBody is the first step of every applier.
func decodeBody(raw json.RawMessage, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return &decodeError{err}
	}
	return nil
}

// appliedWindow is how many log indexes a command id is remembered for: far longer than any
// client retries.
const appliedWindow = 100_000

func pruneApplied(txn *memdb.Txn, index uint64) {
	if index%1000 != 0 || index < appliedWindow {
		return
	}
	it, err := txn.Get(tableApplied, "id")
	if err != nil {
		panic(err)
	}
	var old []any
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if raw.(*applied).Index < index-appliedWindow {
			old = append(old, raw)
		}
	}
	for _, o := range old {
		if err := txn.Delete(tableApplied, o); err != nil {
			panic(err)
		}
	}
}

var codes = map[string]error{"invalid": ErrInvalidCommand, "not_found": ErrNotFound,
	"insufficient_slots": ErrInsufficientSlots, "stale": ErrStale}

func errorCode(err error) (string, string) {
	if err == nil {
		return "", ""
	}
	for code, sentinel := range codes {
		if errors.Is(err, sentinel) {
			return code, err.Error()
		}
	}
	return "other", err.Error()
}

// replayedError is the business failure of a command applied before, rebuilt from its record.
type replayedError struct {
	sentinel error
	msg      string
}

func (e *replayedError) Error() string { return e.msg }
func (e *replayedError) Unwrap() error { return e.sentinel }

func codeError(code, msg string) error {
	if code == "" {
		return nil
	}
	return &replayedError{sentinel: codes[code], msg: msg}
}

func mustInsert(txn *memdb.Txn, table string, obj any) {
	if err := txn.Insert(table, obj); err != nil {
		panic(err) // only a schema mismatch can fail
	}
}

func (f *FSM) current() *memdb.MemDB {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.db
}

// Index is the last Raft index the FSM applied.
func (f *FSM) Index() uint64 { return f.index.Load() }

// read returns a read transaction and the channel closed when a Restore abandons it.
func (f *FSM) read() (*memdb.Txn, <-chan struct{}) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.db.Txn(false), f.abandon
}

// snapshotData is the FSM's snapshot encoding.
type snapshotData struct {
	Version int        `json:"version"`
	Index   uint64     `json:"index"`
	Meta    []*Meta    `json:"meta"`
	Applied []*applied `json:"applied"`
	Members []*Member  `json:"members"`
	Workers []*Worker  `json:"workers"`
	Jobs    []*Job     `json:"jobs"`
}

// Snapshot captures the state at the current index.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	txn, _ := f.read()
	d := &snapshotData{Version: 1, Index: f.Index()}
	d.Meta = all[*Meta](txn, tableMeta)
	d.Applied = all[*applied](txn, tableApplied)
	d.Members = all[*Member](txn, tableMembers)
	d.Workers = all[*Worker](txn, tableWorkers)
	d.Jobs = all[*Job](txn, tableJobs)
	return d, nil
}

// Persist writes the snapshot as JSON.
func (d *snapshotData) Persist(sink raft.SnapshotSink) error {
	if err := json.NewEncoder(sink).Encode(d); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("persist snapshot: %w", err)
	}
	return sink.Close()
}

// Release does nothing: the snapshot holds immutable rows.
func (d *snapshotData) Release() {}

// Restore replaces the whole state with a snapshot's and wakes every watcher.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	var d snapshotData
	if err := json.NewDecoder(rc).Decode(&d); err != nil {
		return fmt.Errorf("restore snapshot: %w", err)
	}
	if d.Version != 1 {
		return fmt.Errorf("restore snapshot: version %d unsupported", d.Version)
	}
	db := newDB()
	txn := db.Txn(true)
	for _, m := range d.Meta {
		mustInsert(txn, tableMeta, m)
	}
	for _, a := range d.Applied {
		mustInsert(txn, tableApplied, a)
	}
	for _, m := range d.Members {
		mustInsert(txn, tableMembers, m)
	}
	for _, w := range d.Workers {
		mustInsert(txn, tableWorkers, w)
	}
	for _, j := range d.Jobs {
		mustInsert(txn, tableJobs, j)
	}
	txn.Commit()
	f.mu.Lock()
	old := f.abandon
	f.db, f.abandon = db, make(chan struct{})
	f.mu.Unlock()
	f.index.Store(d.Index)
	close(old)
	f.broadcast()
	return nil
}

// all lists a table in id order.
func all[T any](txn *memdb.Txn, table string) []T {
	it, err := txn.Get(table, "id")
	if err != nil {
		panic(err)
	}
	var out []T
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(T))
	}
	return out
}
