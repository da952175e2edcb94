package exec

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
	"github.com/flowplane/flowplane/dataflow/sql/eval"
)

// fsSink is sql.sink for the filesystem connector: rows are written as csv or json lines to
// hidden in-progress part files under 'path' (in col=value directories for PARTITIONED BY
// columns; the files keep every column). A part file rolls when it reaches
// 'sink.rolling-policy.file-size' (default 128 MB), when it is older than
// 'sink.rolling-policy.rollover-interval' (checked per batch) and at every checkpoint; rolled
// files become visible (renamed to part-…) when their checkpoint completes, or at the end of
// input, so readers never see partial files and a replay after a restore does not publish
// rows twice.
type fsSink struct {
	operator.Base
	opts     Options
	cfg      sql.SinkConfig
	format   *rowFormat
	types    []dataflow.LogicalType
	partIdx  []int
	dir      string
	ext      string
	prefix   string
	maxSize  int64
	interval time.Duration
	open     map[string]*partFile
	ready    []fsPending // rolled since the last checkpoint
	st       fsSinkState
	rowBuf   []any
}

type partFile struct {
	f      *os.File
	w      *bufio.Writer
	tmp    string
	final  string
	size   int64
	opened time.Time
}

// fsPending is a rolled part file waiting for its checkpoint.
type fsPending struct {
	Checkpoint uint64 `json:"checkpoint"`
	Tmp        string `json:"tmp"`
	Final      string `json:"final"`
}

// fsSinkState is the sink's checkpointed state.
type fsSinkState struct {
	Pending []fsPending `json:"pending"`
	Seq     int64       `json:"seq"`
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]`)

func newFSSink(cfg sql.SinkConfig, opts Options) (operator.Operator, error) {
	names, types, err := columnTypes(cfg.Columns)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", operator.ErrConfig, err)
	}
	s := &fsSink{opts: opts, cfg: cfg, types: types, ext: cfg.Options["format"], maxSize: 128 << 20, open: map[string]*partFile{}}
	if s.format, err = newRowFormat(cfg.Options["format"], names, types, cfg.Options["csv.field-delimiter"]); err != nil {
		return nil, fmt.Errorf("%w: filesystem sink %s: %w", operator.ErrConfig, cfg.Table, err)
	}
	for _, p := range cfg.PartitionedBy {
		i := indexOfName(names, p)
		if i < 0 {
			return nil, fmt.Errorf("%w: filesystem sink %s: partition column %s", operator.ErrConfig, cfg.Table, p)
		}
		s.partIdx = append(s.partIdx, i)
	}
	if v := cfg.Options["sink.rolling-policy.file-size"]; v != "" {
		if s.maxSize, err = parseSize(v); err != nil {
			return nil, fmt.Errorf("%w: filesystem sink %s: %w", operator.ErrConfig, cfg.Table, err)
		}
	}
	if v := cfg.Options["sink.rolling-policy.rollover-interval"]; v != "" {
		if s.interval, err = parseDuration(v); err != nil {
			return nil, fmt.Errorf("%w: filesystem sink %s: %w", operator.ErrConfig, cfg.Table, err)
		}
	}
	return s, nil
}

// parseSize reads '128MB', '64 kb', '1000' (bytes).
func parseSize(v string) (int64, error) {
	s := strings.ToUpper(strings.TrimSpace(v))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(rest), u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("file size %q: want a positive size such as '128MB'", v)
	}
	return n * mult, nil
}

func (s *fsSink) Open(ctx *operator.Context) error {
	var err error
	if s.dir, err = resolvePath(s.opts.FileRoot, s.cfg.Options["path"]); err != nil {
		return err
	}
	s.prefix = unsafeName.ReplaceAllString(fmt.Sprintf("%s-%s-%d-%d", ctx.JobID, ctx.Operator, ctx.Attempt, ctx.Subtask), "_")
	// The restored checkpoint is complete: publish its pending files.
	return s.publish(func(fsPending) bool { return true })
}

func (s *fsSink) ProcessBatch(_ int, rec arrow.RecordBatch, _ operator.Emitter) error {
	ncols := len(s.cfg.Columns)
	for r := range int(rec.NumRows()) {
		row := s.rowBuf[:0]
		for j := range ncols {
			v, err := value(rec.Column(j), r)
			if err != nil {
				return err
			}
			row = append(row, v)
		}
		s.rowBuf = row
		line, err := s.format.encode(row)
		if err != nil {
			return fmt.Errorf("filesystem sink %s: %w", s.cfg.Table, err)
		}
		pf, err := s.file(s.partition(row))
		if err != nil {
			return err
		}
		pf.w.Write(line)
		pf.w.WriteByte('\n')
		if pf.size += int64(len(line)) + 1; pf.size >= s.maxSize {
			if err := s.roll(0); err != nil {
				return err
			}
		}
	}
	if s.interval > 0 {
		for _, pf := range s.open {
			if time.Since(pf.opened) >= s.interval {
				return s.roll(0)
			}
		}
	}
	return nil
}

// partition is the row's partition directory ("" without PARTITIONED BY).
func (s *fsSink) partition(row []any) string {
	parts := make([]string, len(s.partIdx))
	for k, i := range s.partIdx {
		v := "__DEFAULT_PARTITION__"
		if row[i] != nil {
			v = eval.Format(row[i], s.types[i])
		}
		parts[k] = s.cfg.Columns[i].Name + "=" + strings.ReplaceAll(strings.ReplaceAll(v, "/", "%2F"), "..", "%2E%2E")
	}
	return filepath.Join(parts...)
}

// file returns the open part file of a partition, creating it.
func (s *fsSink) file(part string) (*partFile, error) {
	if pf := s.open[part]; pf != nil {
		return pf, nil
	}
	dir := filepath.Join(s.dir, part)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("filesystem sink %s: %w", s.cfg.Table, err)
	}
	name := fmt.Sprintf("part-%s-%d.%s", s.prefix, s.st.Seq, s.ext)
	s.st.Seq++
	pf := &partFile{tmp: filepath.Join(dir, "."+name+".inprogress"), final: filepath.Join(dir, name), opened: time.Now()}
	f, err := os.OpenFile(pf.tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("filesystem sink %s: %w", s.cfg.Table, err)
	}
	pf.f, pf.w = f, bufio.NewWriterSize(f, 64<<10)
	s.open[part] = pf
	return pf, nil
}

// roll closes every open part file (synced) into the rolled set of checkpoint id.
func (s *fsSink) roll(id uint64) error {
	for part, pf := range s.open {
		err := pf.w.Flush()
		if err == nil {
			err = pf.f.Sync()
		}
		if cerr := pf.f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("filesystem sink %s: %w", s.cfg.Table, err)
		}
		s.ready = append(s.ready, fsPending{Checkpoint: id, Tmp: pf.tmp, Final: pf.final})
		delete(s.open, part)
	}
	return nil
}

// SnapshotState rolls the open files and writes the files awaiting checkpoint id.
func (s *fsSink) SnapshotState(id uint64, w io.Writer) error {
	if err := s.roll(id); err != nil {
		return err
	}
	for _, p := range s.ready {
		p.Checkpoint = id
		s.st.Pending = append(s.st.Pending, p)
	}
	s.ready = nil
	return json.NewEncoder(w).Encode(s.st)
}

// RestoreState reads the files awaiting commit; Open publishes them.
func (s *fsSink) RestoreState(r io.Reader) error {
	var st fsSinkState
	if err := json.NewDecoder(r).Decode(&st); err != nil {
		return fmt.Errorf("filesystem sink %s: corrupt state: %w", s.cfg.Table, err)
	}
	s.st.Pending = append(s.st.Pending, st.Pending...)
	s.st.Seq = max(s.st.Seq, st.Seq)
	return nil
}

// NotifyCheckpointComplete publishes the files of checkpoints up to id.
func (s *fsSink) NotifyCheckpointComplete(_ context.Context, id uint64) error {
	return s.publish(func(p fsPending) bool { return p.Checkpoint <= id })
}

// publish renames the selected pending files to their final names; a file already renamed
// (a replayed notification) is skipped.
func (s *fsSink) publish(sel func(fsPending) bool) error {
	kept := s.st.Pending[:0]
	for _, p := range s.st.Pending {
		if !sel(p) {
			kept = append(kept, p)
			continue
		}
		if err := os.Rename(p.Tmp, p.Final); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("filesystem sink %s: publish %s: %w", s.cfg.Table, filepath.Base(p.Final), err)
		}
	}
	s.st.Pending = kept
	return nil
}

// Finish publishes everything written.
func (s *fsSink) Finish(operator.Emitter) error {
	if err := s.roll(0); err != nil {
		return err
	}
	s.st.Pending = append(s.st.Pending, s.ready...)
	s.ready = nil
	return s.publish(func(fsPending) bool { return true })
}

func (s *fsSink) Close() error {
	for _, pf := range s.open {
		pf.f.Close()
	}
	return nil
}
