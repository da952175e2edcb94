package exec

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readParts returns the lines of every visible file under dir (sorted) and fails on leftover
// in-progress files.
func readParts(t *testing.T, dir string) (lines []string, files []string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if strings.HasPrefix(d.Name(), ".") {
			t.Errorf("in-progress file left: %s", rel)
		}
		files = append(files, rel)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			lines = append(lines, filepath.Dir(rel)+" "+l)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(lines)
	return lines, files
}

func TestFilesystemCSVToPartitionedJSON(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	var want []string
	for f := range 5 {
		var b strings.Builder
		for i := range 300 {
			id := f*1000 + i
			fmt.Fprintf(&b, "%d,u%d,%d.25\n", id, id%3, id)
			if id%7 == 0 {
				want = append(want, fmt.Sprintf(`user=u%d {"id":%d,"user":"u%d","amount":%d.25}`, id%3, id, id%3, id))
			}
		}
		writeFile(t, filepath.Join(root, "in", fmt.Sprintf("day=%d", f%2), fmt.Sprintf("f%d.csv", f)), b.String())
	}
	writeFile(t, filepath.Join(root, "in", ".hidden.csv"), "not,a,row\n")
	writeFile(t, filepath.Join(root, "in", "bad.csv"), "1,u1,x\n\n")
	runGraphWith(t, `
CREATE TABLE src (id BIGINT, `+"`user`"+` STRING, amount DECIMAL(10, 2))
  WITH ('connector' = 'filesystem', 'path' = 'file:///in', 'format' = 'csv', 'csv.ignore-parse-errors' = 'true');
CREATE TABLE dst (id BIGINT, `+"`user`"+` STRING, amount DECIMAL(10, 2)) PARTITIONED BY (`+"`user`"+`)
  WITH ('connector' = 'filesystem', 'path' = '/out/', 'format' = 'json', 'sink.rolling-policy.file-size' = '2KB');
INSERT INTO dst SELECT * FROM src WHERE id % 7 = 0;`, 2, Options{FileRoot: root})
	got, files := readParts(t, filepath.Join(root, "out"))
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("sink wrote %d rows:\n%s\nwant %d", len(got), strings.Join(got[:min(len(got), 5)], "\n"), len(want))
	}
	if len(files) < 4 { // 2 KB rolls: several files per partition
		t.Fatalf("sink wrote files %v, want rolled parts", files)
	}
}

func fsSourceOp(t *testing.T, root string) operator.Source {
	t.Helper()
	op, err := newFSSource(sql.SourceConfig{Table: "t", Connector: "filesystem",
		Options: map[string]string{"path": "/data", "format": "csv"},
		Columns: []sql.ColumnSpec{{Name: "v", Type: "STRING", Nullable: true}, {Name: "n", Type: "BIGINT", Nullable: true}}},
		Options{FileRoot: root})
	if err != nil {
		t.Fatal(err)
	}
	return op.(operator.Source)
}

func TestFilesystemSourceResumesFromItsState(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for f := range 3 {
		var b strings.Builder
		for i := range 2500 {
			fmt.Fprintf(&b, "f%d-%d,%d\n", f, i, i)
		}
		writeFile(t, filepath.Join(root, "data", fmt.Sprintf("%d.csv", f)), b.String())
	}
	ctx := &operator.Context{Allocator: memory.DefaultAllocator, Parallelism: 1}
	first := fsSourceOp(t, root)
	if err := first.Open(ctx); err != nil {
		t.Fatal(err)
	}
	var c1 collect
	drain(t, first, &c1, 4000) // stops inside the second file
	var state bytes.Buffer
	if err := first.SnapshotState(1, &state); err != nil {
		t.Fatal(err)
	}
	second := fsSourceOp(t, root)
	if err := second.RestoreState(bytes.NewReader(state.Bytes())); err != nil {
		t.Fatal(err)
	}
	if err := second.Open(ctx); err != nil {
		t.Fatal(err)
	}
	var c2 collect
	drain(t, second, &c2, 1<<30)
	all := append(append([]string(nil), c1.rows...), c2.rows...)
	slices.Sort(all)
	if len(all) != 7500 || len(slices.Compact(all)) != 7500 {
		t.Fatalf("read %d + %d rows, want 7500 distinct", len(c1.rows), len(c2.rows))
	}
}

func TestFilesystemSinkPublishesOnCheckpoint(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	cols := []sql.ColumnSpec{{Name: "v", Type: "STRING", Nullable: true}}
	op, err := newFSSink(sql.SinkConfig{Table: "t", Connector: "filesystem", Options: map[string]string{"path": "out", "format": "csv"},
		Columns: cols}, Options{FileRoot: root})
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Open(&operator.Context{JobID: "job", Operator: "sink", Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	schema, err := outSchema(cols, false)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"a", "b,c"}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	if err := op.ProcessBatch(0, rec, nil); err != nil {
		t.Fatal(err)
	}
	var st bytes.Buffer
	if err := op.SnapshotState(1, &st); err != nil {
		t.Fatal(err)
	}
	names := func() []string {
		entries, err := os.ReadDir(filepath.Join(root, "out"))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	if n := names(); len(n) != 1 || !strings.HasPrefix(n[0], ".part-job-sink-1-0-0.csv") {
		t.Fatalf("before the checkpoint completes the directory holds %v, want one hidden in-progress file", n)
	}
	if err := op.(interface {
		NotifyCheckpointComplete(context.Context, uint64) error
	}).NotifyCheckpointComplete(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	n := names()
	if len(n) != 1 || n[0] != "part-job-sink-1-0-0.csv" {
		t.Fatalf("after the checkpoint the directory holds %v", n)
	}
	data, err := os.ReadFile(filepath.Join(root, "out", n[0]))
	if err != nil || string(data) != "a\n\"b,c\"\n" {
		t.Fatalf("part file holds %q, %v", data, err)
	}
}
