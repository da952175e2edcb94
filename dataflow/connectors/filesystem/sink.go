package filesystem

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
)

// KindSink is the operator kind of the filesystem sink (JSON lines).
const KindSink = "filesystem_sink"

// Errors of the sink.
var (
	// ErrMissingPart: a pending part file is neither in progress nor committed (the directory
	// was changed behind the sink's back).
	ErrMissingPart = errors.New("pending part file missing")
	// ErrCorruptState: undecodable sink state.
	ErrCorruptState = errors.New("corrupt filesystem sink state")
)

// DefaultFileSize is the size at which a part file rolls unless SinkConfig.FileSize says.
const DefaultFileSize = 128 << 20

// SinkConfig configures the sink.
type SinkConfig struct {
	// Path is the absolute directory the part files are written to.
	Path string `json:"path"`
	// Prefix starts every part file's name ("part" when empty): letters, digits, '_', '.'
	// and '-', not starting with '.' or '_' (those names are hidden). The job and operator ids
	// follow it, so sinks sharing a directory never clash.
	Prefix string `json:"prefix,omitempty"`
	// Extension ends every part file's name, without the dot ("jsonl" when empty).
	Extension string `json:"extension,omitempty"`
	// FileSize rolls a part file once it holds this many bytes (DefaultFileSize when 0).
	FileSize int64 `json:"file_size,omitempty"`
	// RolloverInterval rolls part files older than this, checked per batch (0: never).
	RolloverInterval time.Duration `json:"rollover_interval,omitempty"`
}

// Encoder turns a batch into lines of part files.
type Encoder interface {
	// Encode calls line for each row of rec, in order, with the row's partition directory
	// (a relative path such as "dt=2024-01-01", or "" for none) and its encoding without the
	// newline; b is borrowed until line returns.
	Encode(rec arrow.RecordBatch, line func(partition string, b []byte) error) error
}

// Register registers the filesystem_sink kind: JSON lines, one object per row.
func Register(reg *operator.Registry) error {
	return reg.Register(KindSink, func(spec dataflow.OperatorSpec) (operator.Operator, error) {
		var cfg SinkConfig
		if err := operator.DecodeConfig(spec, &cfg); err != nil {
			return nil, err
		}
		return NewSink(cfg, JSONLines{})
	})
}

var (
	prefixRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]`)
)

// NewSink returns the exactly-once filesystem sink operator of cfg writing lines enc encodes
// (for operator kinds that build it from their own configuration, e.g. the SQL sink's
// filesystem connector).
func NewSink(cfg SinkConfig, enc Encoder) (operator.Operator, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = "part"
	}
	if cfg.Extension == "" {
		cfg.Extension = "jsonl"
	}
	if cfg.FileSize <= 0 {
		cfg.FileSize = DefaultFileSize
	}
	if !filepath.IsAbs(cfg.Path) || !prefixRe.MatchString(cfg.Prefix) || strings.Contains(cfg.Prefix, "..") ||
		!prefixRe.MatchString(cfg.Extension) || enc == nil {
		return nil, fmt.Errorf("%w: filesystem sink needs an absolute path, a prefix and extension of letters, digits, '_', '.' and '-', and an encoder",
			operator.ErrConfig)
	}
	return &sink{cfg: cfg, enc: enc, open: map[string]*partFile{}}, nil
}

// JSONLines encodes every row as one JSON object, in no partition.
type JSONLines struct{}

// Encode writes rec as JSON lines.
func (JSONLines) Encode(rec arrow.RecordBatch, line func(string, []byte) error) error {
	var buf bytes.Buffer
	if err := array.RecordToJSON(rec, &buf); err != nil {
		return err
	}
	for l := range bytes.Lines(buf.Bytes()) {
		if err := line("", bytes.TrimSuffix(l, []byte("\n"))); err != nil {
			return err
		}
	}
	return nil
}

// state is the sink's checkpointed state: the parts awaiting commit and the next part number.
type state struct {
	Pending []part `json:"pending"`
	Seq     int64  `json:"seq"`
}

type sink struct {
	operator.Base
	cfg      SinkConfig
	enc      Encoder
	prefix   string // cfg.Prefix, job and operator
	subtask  int
	par      int
	attempt  uint64
	open     map[string]*partFile // by partition
	ready    []part               // rolled since the last barrier
	st       state
	restored []state
}

func (s *sink) Open(ctx *operator.Context) error {
	s.subtask, s.par, s.attempt = ctx.Subtask, max(ctx.Parallelism, 1), ctx.Attempt
	s.prefix = s.cfg.Prefix
	for _, id := range []string{ctx.JobID, string(ctx.Operator)} {
		if id != "" {
			s.prefix += "-" + unsafeName.ReplaceAllString(id, "_")
		}
	}
	if err := mkdir(s.cfg.Path); err != nil {
		return err
	}
	for _, st := range s.restored {
		s.st.Pending = append(s.st.Pending, st.Pending...)
		s.st.Seq = max(s.st.Seq, st.Seq)
	}
	s.restored = nil
	// The restored checkpoint is complete: commit its pending parts.
	if err := s.commit(func(part) bool { return true }); err != nil {
		return err
	}
	return s.cleanOldAttempts()
}

func (s *sink) ProcessBatch(_ int, rec arrow.RecordBatch, _ operator.Emitter) error {
	err := s.enc.Encode(rec, func(partition string, b []byte) error {
		pf, err := s.file(partition)
		if err != nil {
			return err
		}
		if err := pf.write(b); err != nil {
			return fmt.Errorf("filesystem sink: %w", err)
		}
		if pf.size >= s.cfg.FileSize {
			return s.roll()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.cfg.RolloverInterval > 0 {
		for _, pf := range s.open {
			if time.Since(pf.opened) >= s.cfg.RolloverInterval {
				return s.roll()
			}
		}
	}
	return nil
}

// ProcessWatermark swallows watermarks: nothing is downstream of a sink.
func (s *sink) ProcessWatermark(int64, operator.Emitter) error { return nil }

// SnapshotState rolls the open files and writes the parts awaiting checkpoint id.
func (s *sink) SnapshotState(id uint64, w io.Writer) error {
	if err := s.roll(); err != nil {
		return err
	}
	for _, p := range s.ready {
		p.Checkpoint = id
		s.st.Pending = append(s.st.Pending, p)
	}
	s.ready = nil
	return json.NewEncoder(w).Encode(s.st)
}

// RestoreState keeps a restored state until Open commits its parts.
func (s *sink) RestoreState(r io.Reader) error {
	var st state
	if err := json.NewDecoder(r).Decode(&st); err != nil {
		return fmt.Errorf("%w: %w", ErrCorruptState, err)
	}
	for _, p := range st.Pending {
		if err := p.check(); err != nil {
			return err
		}
	}
	s.restored = append(s.restored, st)
	return nil
}

// NotifyCheckpointComplete commits the parts of every checkpoint up to id.
func (s *sink) NotifyCheckpointComplete(_ context.Context, id uint64) error {
	return s.commit(func(p part) bool { return p.Checkpoint <= id })
}

// Finish commits every row written at the end of a bounded input.
func (s *sink) Finish(operator.Emitter) error {
	if err := s.roll(); err != nil {
		return err
	}
	s.st.Pending = append(s.st.Pending, s.ready...)
	s.ready = nil
	return s.commit(func(part) bool { return true })
}

// Close abandons the open in-progress files (a later restore deletes them).
func (s *sink) Close() error {
	var errs []error
	for _, pf := range s.open {
		errs = append(errs, pf.f.Close())
	}
	s.open = map[string]*partFile{}
	return errors.Join(errs...)
}
