package filesystem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
)

// KindSink is the operator kind of the filesystem sink.
const KindSink = "filesystem_sink"

// Errors of the sink.
var (
	// ErrMissingPart: a pending part file is neither in progress nor committed (the directory
	// was changed behind the sink's back).
	ErrMissingPart = errors.New("pending part file missing")
	// ErrCorruptState: undecodable sink state.
	ErrCorruptState = errors.New("corrupt filesystem sink state")
)

// SinkConfig configures filesystem_sink.
type SinkConfig struct {
	// Path is the absolute directory the part files are written to.
	Path string `json:"path"`
	// Prefix starts every part file's name ("part" when empty).
	Prefix string `json:"prefix,omitempty"`
}

// Register registers the filesystem_sink kind.
func Register(reg *operator.Registry) error {
	return reg.Register(KindSink, func(spec dataflow.OperatorSpec) (operator.Operator, error) {
		var cfg SinkConfig
		if err := operator.DecodeConfig(spec, &cfg); err != nil {
			return nil, err
		}
		return NewSink(cfg)
	})
}

// NewSink returns the exactly-once filesystem sink operator of cfg (for operator kinds that
// build it from their own configuration, e.g. the SQL sink's filesystem connector).
func NewSink(cfg SinkConfig) (operator.Operator, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = "part"
	}
	if !filepath.IsAbs(cfg.Path) || strings.ContainsAny(cfg.Prefix, "/\\-.") {
		return nil, fmt.Errorf("%w: filesystem_sink needs an absolute path and a prefix without '/', '-' or '.'", operator.ErrConfig)
	}
	return &sink{cfg: cfg}, nil
}

// part is a closed in-progress file waiting for its checkpoint to complete.
type part struct {
	Temp       string `json:"temp"`  // file name of the in-progress file
	Final      string `json:"final"` // file name once committed
	Checkpoint uint64 `json:"checkpoint"`
}

type sink struct {
	operator.Base
	cfg      SinkConfig
	subtask  int
	par      int
	attempt  uint64
	sealed   uint64
	n        int      // in-progress files opened by this subtask in this attempt
	cur      *os.File // current in-progress file, nil until the first row
	curName  string
	pending  []part
	restored []part
}

func (s *sink) Open(ctx *operator.Context) error {
	s.subtask, s.par, s.attempt, s.sealed = ctx.Subtask, max(ctx.Parallelism, 1), ctx.Attempt, ctx.Restored
	if err := os.MkdirAll(s.cfg.Path, 0o750); err != nil {
		return fmt.Errorf("filesystem sink: %w", err)
	}
	s.pending, s.restored = s.restored, nil
	if err := s.commit(func(part) bool { return true }); err != nil {
		return err
	}
	return s.cleanOldAttempts()
}

func (s *sink) ProcessBatch(_ int, rec arrow.RecordBatch, _ operator.Emitter) error {
	if s.cur == nil {
		s.n++
		s.curName = fmt.Sprintf(".%s-%d-%d-%d.inprogress", s.cfg.Prefix, s.subtask, s.attempt, s.n)
		f, err := os.OpenFile(filepath.Join(s.cfg.Path, s.curName), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
		if err != nil {
			return fmt.Errorf("filesystem sink: %w", err)
		}
		s.cur = f
	}
	return array.RecordToJSON(rec, s.cur)
}

// ProcessWatermark swallows watermarks: nothing is downstream of a sink.
func (s *sink) ProcessWatermark(int64, operator.Emitter) error { return nil }

// seal closes the current in-progress file as pending for checkpoint id.
func (s *sink) seal(id uint64) error {
	s.sealed = id
	if s.cur == nil {
		return nil
	}
	err := s.cur.Sync()
	if cerr := s.cur.Close(); err == nil {
		err = cerr
	}
	s.cur = nil
	if err != nil {
		return fmt.Errorf("filesystem sink: seal checkpoint %d: %w", id, err)
	}
	s.pending = append(s.pending, part{Temp: s.curName, Final: fmt.Sprintf("%s-%d-%d.jsonl", s.cfg.Prefix, s.subtask, id), Checkpoint: id})
	return nil
}

// SnapshotState seals the rows since the last barrier and writes the pending parts.
func (s *sink) SnapshotState(id uint64, w io.Writer) error {
	if err := s.seal(id); err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(s.pending)
}

// RestoreState keeps restored pending parts until Open commits them.
func (s *sink) RestoreState(r io.Reader) error {
	var parts []part
	if err := json.NewDecoder(r).Decode(&parts); err != nil {
		return fmt.Errorf("%w: %w", ErrCorruptState, err)
	}
	for _, p := range parts {
		if filepath.Base(p.Temp) != p.Temp || filepath.Base(p.Final) != p.Final || p.Temp == "" || p.Final == "" {
			return fmt.Errorf("%w: part %+v", ErrCorruptState, p)
		}
	}
	s.restored = append(s.restored, parts...)
	return nil
}

// NotifyCheckpointComplete commits the parts of every checkpoint up to id.
func (s *sink) NotifyCheckpointComplete(_ context.Context, id uint64) error {
	return s.commit(func(p part) bool { return p.Checkpoint <= id })
}

// Finish commits the rows after the last checkpoint at the end of a bounded input.
func (s *sink) Finish(operator.Emitter) error {
	if err := s.seal(s.sealed + 1); err != nil {
		return err
	}
	return s.commit(func(part) bool { return true })
}

// Close abandons the current in-progress file (a later restore deletes it).
func (s *sink) Close() error {
	if s.cur != nil {
		return s.cur.Close()
	}
	return nil
}

// commit renames the selected pending parts into place and syncs the directory.
func (s *sink) commit(sel func(part) bool) error {
	var rest []part
	renamed := false
	for _, p := range s.pending {
		if !sel(p) {
			rest = append(rest, p)
			continue
		}
		err := os.Rename(filepath.Join(s.cfg.Path, p.Temp), filepath.Join(s.cfg.Path, p.Final))
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := os.Stat(filepath.Join(s.cfg.Path, p.Final)); serr == nil {
				continue // committed before a failure
			}
			return fmt.Errorf("%w: %s (checkpoint %d)", ErrMissingPart, p.Temp, p.Checkpoint)
		}
		if err != nil {
			return fmt.Errorf("filesystem sink: commit checkpoint %d: %w", p.Checkpoint, err)
		}
		renamed = true
	}
	s.pending = rest
	if !renamed {
		return nil
	}
	return syncDir(s.cfg.Path)
}

// cleanOldAttempts deletes in-progress files of older attempts written by the old subtasks
// whose state this subtask inherits; after Open's commit no checkpoint names them.
func (s *sink) cleanOldAttempts() error {
	entries, err := os.ReadDir(s.cfg.Path)
	if err != nil {
		return fmt.Errorf("filesystem sink: %w", err)
	}
	for _, e := range entries {
		sub, att, ok := s.parseInProgress(e.Name())
		if !ok || att >= s.attempt || sub%s.par != s.subtask {
			continue
		}
		if err := os.Remove(filepath.Join(s.cfg.Path, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("filesystem sink: %w", err)
		}
	}
	return nil
}

// parseInProgress reads the subtask and attempt of an in-progress file of this sink's prefix.
func (s *sink) parseInProgress(name string) (subtask int, attempt uint64, ok bool) {
	rest, ok1 := strings.CutPrefix(name, "."+s.cfg.Prefix+"-")
	rest, ok2 := strings.CutSuffix(rest, ".inprogress")
	f := strings.Split(rest, "-")
	if !ok1 || !ok2 || len(f) != 3 {
		return 0, 0, false
	}
	sub, err1 := strconv.Atoi(f[0])
	att, err2 := strconv.ParseUint(f[1], 10, 64)
	return sub, att, err1 == nil && err2 == nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
