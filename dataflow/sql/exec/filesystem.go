package exec

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// ErrNoFileRoot: a filesystem table on a worker without a storage directory.
var ErrNoFileRoot = errors.New("filesystem connector: this worker has no storage directory")

// resolvePath maps a table's 'path' (plain or file://) inside root: absolute paths are taken
// relative to root, and the binder has refused '..' segments.
func resolvePath(root, path string) (string, error) {
	if root == "" {
		return "", ErrNoFileRoot
	}
	p := filepath.Join(root, filepath.Clean("/"+strings.TrimPrefix(path, "file://")))
	if p != root && !strings.HasPrefix(p, filepath.Clean(root)+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: filesystem path %q leaves the storage directory", operator.ErrConfig, path)
	}
	return p, nil
}

// hiddenFile reports names the source skips: in-progress sink files and the like start with
// '.' or '_'.
func hiddenFile(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// fsSource is sql.source for the filesystem connector: it reads the file at 'path', or every
// file under it (recursively, sorted, hidden ones skipped), one csv or json line per row.
// Files are split across subtasks by a hash of their name. Without
// 'source.monitor-interval' the input ends after the files present at the start; with it the
// directory is listed again at that interval for new files. Its state is the files done and
// the lines read of the current one.
type fsSource struct {
	operator.Base
	opts    Options
	cfg     sql.SourceConfig
	format  *rowFormat
	ignore  bool
	schema  *arrow.Schema
	mem     memory.Allocator
	subtask int
	par     int
	root    string
	monitor time.Duration
	listed  time.Time
	files   []string // this subtask's files not done yet, in order
	st      fsSourceState
	file    *os.File
	sc      *bufio.Scanner
	rowBuf  []any
}

// fsSourceState is the source's checkpointed position.
type fsSourceState struct {
	Done    []string `json:"done"`
	Current string   `json:"current,omitempty"`
	Lines   int64    `json:"lines,omitempty"`
}

func newFSSource(cfg sql.SourceConfig, opts Options) (operator.Operator, error) {
	names, types, err := columnTypes(cfg.Columns)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", operator.ErrConfig, err)
	}
	s := &fsSource{opts: opts, cfg: cfg}
	if s.format, s.ignore, err = tableFormat(cfg.Options, names, types); err != nil {
		return nil, fmt.Errorf("%w: filesystem source %s: %w", operator.ErrConfig, cfg.Table, err)
	}
	if v := cfg.Options["source.monitor-interval"]; v != "" {
		if s.monitor, err = parseDuration(v); err != nil || s.monitor <= 0 {
			return nil, fmt.Errorf("%w: filesystem source %s: source.monitor-interval %q", operator.ErrConfig, cfg.Table, v)
		}
	}
	if s.schema, err = outSchema(cfg.Columns, false); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *fsSource) Open(ctx *operator.Context) error {
	s.mem = allocator(ctx)
	s.subtask, s.par = ctx.Subtask, max(ctx.Parallelism, 1)
	var err error
	s.root, err = resolvePath(s.opts.FileRoot, s.cfg.Options["path"])
	return err
}

// list finds this subtask's files that are not done, in name order.
func (s *fsSource) list() error {
	s.listed = time.Now()
	info, err := os.Stat(s.root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && s.monitor > 0 {
			return nil // a monitored directory may appear later
		}
		return fmt.Errorf("filesystem source %s: %w", s.cfg.Table, err)
	}
	var found []string
	if !info.IsDir() {
		found = []string{"."}
	} else {
		err = filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != s.root && hiddenFile(d.Name()) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				rel, _ := filepath.Rel(s.root, p)
				found = append(found, rel)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("filesystem source %s: %w", s.cfg.Table, err)
		}
	}
	slices.Sort(found)
	s.files = s.files[:0]
	for _, f := range found {
		h := fnv.New32a()
		h.Write([]byte(f))
		if int(h.Sum32()%uint32(s.par)) == s.subtask && !slices.Contains(s.st.Done, f) && f != s.st.Current {
			s.files = append(s.files, f)
		}
	}
	return nil
}

// next opens the next file, or reports that there is none for now.
func (s *fsSource) next(ctx context.Context) (bool, error) {
	if s.st.Current == "" {
		if s.listed.IsZero() || (len(s.files) == 0 && s.monitor > 0 && time.Since(s.listed) >= s.monitor) {
			if err := s.list(); err != nil {
				return false, err
			}
		}
		if len(s.files) == 0 {
			return false, nil
		}
		s.st.Current, s.st.Lines, s.files = s.files[0], 0, s.files[1:]
	}
	f, err := os.Open(filepath.Join(s.root, s.st.Current))
	if err != nil {
		return false, fmt.Errorf("filesystem source %s: %w", s.cfg.Table, err)
	}
	s.file, s.sc = f, bufio.NewScanner(f)
	s.sc.Buffer(make([]byte, 64<<10), 16<<20)
	for skip := s.st.Lines; skip > 0 && s.sc.Scan(); skip-- {
	}
	return true, nil
}

// Poll emits the next lines.
func (s *fsSource) Poll(ctx context.Context, out operator.Emitter) error {
	return sourceError(s.poll(ctx, out))
}

func (s *fsSource) poll(ctx context.Context, out operator.Emitter) error {
	if s.file == nil {
		ok, err := s.next(ctx)
		if err != nil {
			return err
		}
		if !ok {
			if s.monitor == 0 {
				return operator.ErrEndOfInput
			}
			return waitFor(ctx, min(s.monitor, pollWait))
		}
	}
	b := array.NewRecordBuilder(s.mem, s.schema)
	defer b.Release()
	n := 0
	for n < BatchRows && s.sc.Scan() {
		s.st.Lines++
		line := s.sc.Bytes()
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		row, err := s.format.decode(line, s.rowBuf[:0])
		if err != nil {
			if s.ignore && errors.Is(err, errFormat) {
				continue
			}
			return fmt.Errorf("filesystem source %s: %s line %d: %w", s.cfg.Table, s.st.Current, s.st.Lines, err)
		}
		s.rowBuf = row
		for j, v := range row {
			if err := appendValue(b.Field(j), v); err != nil {
				return fmt.Errorf("filesystem source %s column %s: %w", s.cfg.Table, s.cfg.Columns[j].Name, err)
			}
		}
		n++
	}
	if n < BatchRows {
		if err := s.sc.Err(); err != nil {
			return fmt.Errorf("filesystem source %s: %s: %w", s.cfg.Table, s.st.Current, err)
		}
		s.file.Close()
		s.file, s.sc = nil, nil
		s.st.Done = append(s.st.Done, s.st.Current)
		s.st.Current, s.st.Lines = "", 0
	}
	if n == 0 {
		return nil
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return out.Emit(rec)
}

func waitFor(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (s *fsSource) ProcessBatch(int, arrow.RecordBatch, operator.Emitter) error {
	return fmt.Errorf("%w: a source has no inputs", operator.ErrConfig)
}

// SnapshotState writes the files done and the position in the current one.
func (s *fsSource) SnapshotState(_ uint64, w io.Writer) error { return json.NewEncoder(w).Encode(s.st) }

// RestoreState reads a position written by SnapshotState.
func (s *fsSource) RestoreState(r io.Reader) error {
	var st fsSourceState
	if err := json.NewDecoder(r).Decode(&st); err != nil {
		return fmt.Errorf("filesystem source %s: corrupt state: %w", s.cfg.Table, err)
	}
	s.st.Done = append(s.st.Done, st.Done...)
	if st.Current != "" {
		s.st.Current, s.st.Lines = st.Current, st.Lines
	}
	return nil
}

func (s *fsSource) Close() error {
	if s.file != nil {
		s.file.Close()
	}
	return nil
}
