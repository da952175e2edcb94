package exec

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/connectors/filesystem"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
	"github.com/flowplane/flowplane/dataflow/sql/eval"
)

// newFSSink is sql.sink for the filesystem connector: the exactly-once sink of package
// connectors/filesystem configured from the table's options. Rows are written as csv or json
// lines (in col=value directories for PARTITIONED BY columns; the files keep every column) to
// hidden in-progress part files under 'path'. A part file rolls at
// 'sink.rolling-policy.file-size' (default 128 MB), when it is older than
// 'sink.rolling-policy.rollover-interval' (checked per batch) and at every checkpoint; rolled
// files become visible (renamed to part-…) when their checkpoint completes, or at the end of
// input, so readers never see partial files and a replay after a restore does not publish rows
// twice.
func newFSSink(cfg sql.SinkConfig, opts Options) (operator.Operator, error) {
	names, types, err := columnTypes(cfg.Columns)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", operator.ErrConfig, err)
	}
	bad := func(err error) error {
		return fmt.Errorf("%w: filesystem sink %s: %w", operator.ErrConfig, cfg.Table, err)
	}
	enc := &fsEncoder{types: types, ncols: len(cfg.Columns)}
	if enc.format, _, err = tableFormat(cfg.Options, names, types); err != nil {
		return nil, bad(err)
	}
	for _, p := range cfg.PartitionedBy {
		i := indexOfName(names, p)
		if i < 0 {
			return nil, bad(fmt.Errorf("partition column %s", p))
		}
		enc.partIdx, enc.partNames = append(enc.partIdx, i), append(enc.partNames, names[i])
	}
	fc := filesystem.SinkConfig{Extension: cfg.Options["format"]}
	if v := cfg.Options["sink.rolling-policy.file-size"]; v != "" {
		if fc.FileSize, err = parseSize(v); err != nil {
			return nil, bad(err)
		}
	}
	if v := cfg.Options["sink.rolling-policy.rollover-interval"]; v != "" {
		if fc.RolloverInterval, err = parseDuration(v); err != nil {
			return nil, bad(err)
		}
	}
	if fc.Path, err = resolvePath(opts.FileRoot, cfg.Options["path"]); err != nil {
		return nil, err
	}
	return filesystem.NewSink(fc, enc)
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

// fsEncoder encodes a sink's rows in its format, each in its partition directory.
type fsEncoder struct {
	format    *rowFormat
	types     []dataflow.LogicalType
	ncols     int
	partIdx   []int
	partNames []string
	row       []any
}

// Encode implements filesystem.Encoder.
func (e *fsEncoder) Encode(rec arrow.RecordBatch, line func(string, []byte) error) error {
	for r := range int(rec.NumRows()) {
		row, err := readValues(rec, r, e.ncols, e.row)
		if err != nil {
			return err
		}
		e.row = row
		b, err := e.format.encode(row)
		if err != nil {
			return fmt.Errorf("filesystem sink: %w", err)
		}
		if err := line(e.partition(row), b); err != nil {
			return err
		}
	}
	return nil
}

// partition is the row's partition directory ("" without PARTITIONED BY).
func (e *fsEncoder) partition(row []any) string {
	if len(e.partIdx) == 0 {
		return ""
	}
	parts := make([]string, len(e.partIdx))
	for k, i := range e.partIdx {
		v := "__DEFAULT_PARTITION__"
		if row[i] != nil {
			v = eval.Format(row[i], e.types[i])
		}
		parts[k] = e.partNames[k] + "=" + strings.ReplaceAll(strings.ReplaceAll(v, "/", "%2F"), "..", "%2E%2E")
	}
	return filepath.Join(parts...)
}
