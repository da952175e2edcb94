package filesystem

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
)

func newSinkOp(t *testing.T, dir string, attempt, restored uint64, states ...[]byte) operator.Operator {
	t.Helper()
	reg := operator.NewRegistry()
	if err := Register(reg); err != nil {
		t.Fatal(err)
	}
	op, err := reg.New(specFor(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range states {
		if err := op.RestoreState(bytes.NewReader(st)); err != nil {
			t.Fatal(err)
		}
	}
	if err := op.Open(&operator.Context{Subtask: 0, Parallelism: 1, Attempt: attempt, Restored: restored}); err != nil {
		t.Fatal(err)
	}
	return op
}

func rows(t *testing.T, op operator.Operator, from, to int64) {
	t.Helper()
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	for i := from; i < to; i++ {
		b.Append(i)
	}
	col := b.NewArray()
	defer col.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "seq", Type: arrow.PrimitiveTypes.Int64}}, nil), []arrow.Array{col}, to-from)
	defer rec.Release()
	if err := op.ProcessBatch(0, rec, nil); err != nil {
		t.Fatal(err)
	}
}

func snap(t *testing.T, op operator.Operator, id uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := op.SnapshotState(id, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func complete(t *testing.T, op operator.Operator, id uint64) {
	t.Helper()
	if err := op.(operator.CheckpointListener).NotifyCheckpointComplete(context.Background(), id); err != nil {
		t.Fatal(err)
	}
}

// committed reads every committed part file's seqs, and the names of the other files.
func committed(t *testing.T, dir string) (seqs []int64, others []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".jsonl") {
			others = append(others, e.Name())
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var row struct{ Seq int64 }
			if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
				t.Fatal(err)
			}
			seqs = append(seqs, row.Seq)
		}
		f.Close()
	}
	slices.Sort(seqs)
	return seqs, others
}

func TestSinkCommitsByRenameExactlyOnceAcrossRestores(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s1 := newSinkOp(t, dir, 1, 0)
	rows(t, s1, 0, 10)
	snap(t, s1, 1)
	rows(t, s1, 10, 20)
	st2 := snap(t, s1, 2)
	complete(t, s1, 1)
	rows(t, s1, 20, 30) // in progress when the attempt dies; checkpoint 2's completion notice is lost
	if seqs, others := committed(t, dir); len(seqs) != 10 || len(others) != 2 {
		t.Fatalf("after checkpoint 1: %d rows committed, other files %v", len(seqs), others)
	}

	// Attempt 2 restores checkpoint 2: its pending part is committed, attempt 1's in-progress
	// file is deleted, and the replayed rows are written again.
	s2 := newSinkOp(t, dir, 2, 2, st2)
	rows(t, s2, 20, 30)
	st3 := snap(t, s2, 3)
	complete(t, s2, 3)
	complete(t, s2, 2) // late and subsumed: nothing to do

	// Attempt 3 restores checkpoint 3, whose part was committed already: it is skipped.
	s3 := newSinkOp(t, dir, 3, 3, st3)
	if err := s3.Finish(nil); err != nil {
		t.Fatal(err)
	}
	seqs, others := committed(t, dir)
	if len(others) != 0 {
		t.Fatalf("files left besides committed parts: %v", others)
	}
	for i, s := range seqs {
		if s != int64(i) || len(seqs) != 30 {
			t.Fatalf("committed seqs = %v, want 0..29 once each", seqs)
		}
	}
}

func TestSinkReportsMissingPart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s1 := newSinkOp(t, dir, 1, 0)
	rows(t, s1, 0, 5)
	st := snap(t, s1, 1)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.Remove(filepath.Join(dir, e.Name()))
	}
	reg := operator.NewRegistry()
	if err := Register(reg); err != nil {
		t.Fatal(err)
	}
	op, err := reg.New(specFor(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := op.RestoreState(bytes.NewReader(st)); err != nil {
		t.Fatal(err)
	}
	if err := op.Open(&operator.Context{Parallelism: 1, Attempt: 2, Restored: 1}); !errors.Is(err, ErrMissingPart) {
		t.Fatalf("Open = %v, want ErrMissingPart", err)
	}
}

func specFor(t *testing.T, dir string) dataflow.OperatorSpec {
	t.Helper()
	raw, err := json.Marshal(SinkConfig{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	return dataflow.OperatorSpec{ID: "sink", Kind: KindSink, Config: raw}
}

func TestSinkConfigErrors(t *testing.T) {
	t.Parallel()
	for _, cfg := range []SinkConfig{{Path: "relative/dir"}, {Path: "/tmp/x", Prefix: "a/b"}, {Path: "/tmp/x", Prefix: "../up"},
		{Path: "/tmp/x", Prefix: ".hidden"}, {Path: "/tmp/x", Extension: "a/b"}} {
		if _, err := NewSink(cfg, JSONLines{}); !errors.Is(err, operator.ErrConfig) {
			t.Fatalf("NewSink(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
}

// byParity puts each row of a one-column int64 batch in partition "even" or "odd".
type byParity struct{}

func (byParity) Encode(rec arrow.RecordBatch, line func(string, []byte) error) error {
	col := rec.Column(0).(*array.Int64)
	for i := range col.Len() {
		p := "odd"
		if col.Value(i)%2 == 0 {
			p = "even"
		}
		if err := line(p, fmt.Appendf(nil, `{"seq":%d}`, col.Value(i))); err != nil {
			return err
		}
	}
	return nil
}

// TestSinkPartitionsRollsAndCleansSubdirectories writes partitioned rows with a small file
// size (several parts per partition and checkpoint), then restores with an in-progress file of
// the dead attempt in each partition: the restored parts are committed, the stale files are
// deleted, and every row is committed once.
func TestSinkPartitionsRollsAndCleansSubdirectories(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	open := func(attempt uint64, states ...[]byte) operator.Operator {
		op, err := NewSink(SinkConfig{Path: dir, FileSize: 40}, byParity{})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range states {
			if err := op.RestoreState(bytes.NewReader(st)); err != nil {
				t.Fatal(err)
			}
		}
		if err := op.Open(&operator.Context{JobID: "j", Operator: "s", Parallelism: 1, Attempt: attempt}); err != nil {
			t.Fatal(err)
		}
		return op
	}
	s1 := open(1)
	rows(t, s1, 0, 20)
	st := snap(t, s1, 1)
	rows(t, s1, 20, 30) // in progress when attempt 1 dies
	s1.Close()
	s2 := open(2, st)
	rows(t, s2, 20, 30)
	if err := s2.Finish(nil); err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, p := range []string{"even", "odd"} {
		got, others := committed(t, filepath.Join(dir, p))
		if len(others) != 0 {
			t.Fatalf("partition %s holds other files: %v", p, others)
		}
		for _, s := range got {
			if (s%2 == 0) != (p == "even") {
				t.Fatalf("row %d in partition %s", s, p)
			}
		}
		seqs = append(seqs, got...)
	}
	slices.Sort(seqs)
	if len(seqs) != 30 || seqs[0] != 0 || seqs[29] != 29 || slices.Compact(slices.Clone(seqs))[29] != 29 {
		t.Fatalf("committed seqs = %v, want 0..29 once each", seqs)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "even", "part-j-s-1-0-*.jsonl"))
	if len(files) < 2 {
		t.Fatalf("checkpoint 1's even rows are in %v, want several rolled parts", files)
	}
}

func TestSinkRefusesStateOutsideItsDirectory(t *testing.T) {
	t.Parallel()
	op, err := NewSink(SinkConfig{Path: t.TempDir()}, JSONLines{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{`{"pending":[{"checkpoint":1,"temp":"../.x.inprogress","final":"x"}]}`,
		`{"pending":[{"checkpoint":1,"temp":".x.inprogress","final":"/etc/x"}]}`,
		`{"pending":[{"checkpoint":1,"temp":".x.inprogress","final":".x"}]}`, `[1`} {
		if err := op.RestoreState(strings.NewReader(st)); !errors.Is(err, ErrCorruptState) {
			t.Errorf("RestoreState(%s) = %v, want ErrCorruptState", st, err)
		}
	}
}
